import { describe, expect, it } from 'vitest';
import { instantOf, locationOf, recogniseFile } from '../../src/importer/vendor-files.js';

describe('reading a vendor export', () => {
  it('reads instants as Salesforce writes them, and local dates in the importer’s zone', () => {
    expect(instantOf('2026-11-10T07:30:00.000Z', undefined, 'Europe/Paris')).toBe('2026-11-10T07:30:00.000Z');
    expect(instantOf('2026-11-10T07:30:00.000+0100', undefined, 'UTC')).toBe('2026-11-10T06:30:00.000Z');
    expect(instantOf('2026-11-10 08:30', undefined, 'Europe/Paris')).toBe('2026-11-10T07:30:00.000Z');
    expect(instantOf('2026-11-10', '14:00', 'UTC')).toBe('2026-11-10T14:00:00.000Z');
    expect(instantOf('2026-11-10', undefined, 'UTC')).toBe('2026-11-10T12:00:00.000Z');
    expect(instantOf('25/11/2026', undefined, 'UTC')).toBe('2026-11-25T12:00:00.000Z');
    // Day and month that could be read either way are not guessed.
    expect(instantOf('03/05/2026', undefined, 'UTC')).toBeUndefined();
    expect(instantOf('next Tuesday', undefined, 'UTC')).toBeUndefined();
  });

  it('puts a meeting outside the office only where the export names such a place', () => {
    expect(locationOf('meeting', 'Café Luna, 5th Avenue', 'Globex')).toBe('outside_office');
    expect(locationOf('meeting', undefined, 'Globex')).toBe('customer_office');
    expect(locationOf('meeting', 'Globex HQ', 'Globex')).toBe('customer_office');
    expect(locationOf('meeting', 'Globex, Cypress Creek', 'Globex')).toBe('customer_office');
    expect(locationOf('meeting', 'https://zoom.us/j/1', 'Globex')).toBe('virtual');
    expect(locationOf('call', 'Café Luna', 'Globex')).toBe('phone');
    expect(locationOf('email', undefined, 'Globex')).toBe('virtual');
  });

  it('tells the files apart by their headers, and --from narrows it', () => {
    expect(recogniseFile(['Record ID', 'First Name', 'Last Name', 'Company Name'])?.file.label).toBe('contacts export');
    expect(recogniseFile(['Record ID', 'Company name', 'Company owner'])?.file.label).toBe('companies export');
    expect(recogniseFile(['Id', 'WhoId', 'WhatId', 'StartDateTime', 'Location'])?.file.label).toBe('Event.csv');
    expect(recogniseFile(['First Name', 'Last Name', 'Account Name', 'Reports To'])?.table.vendor).toBe('salesforce');
    expect(recogniseFile(['First Name', 'Last Name', 'Account Name'], 'hubspot')).toBeUndefined();
    expect(recogniseFile(['account', 'name', 'email'])).toBeUndefined();
  });
});

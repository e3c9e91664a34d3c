import { expect, it } from 'vitest';
import { readableChanges } from '../../src/audit/readable-changes.js';

const names = new Map([[7, 'Paul Whitman']]);
const nameOf = (id: number) => names.get(id);

it('speaks the forms’ words: captions, labels, names and dates as the forms show them', () => {
  expect(
    readableChanges(
      {
        departure_notice: [null, 'told_in_advance'],
        preferred_channel: [null, 'email'],
        started_in_role_on: [null, '2024-09-13'],
        birthday: ['1980-03-14', '09-09'],
        reports_to_contact_id: [null, 7],
        roles: [['user'], ['decision_maker', 'boss']],
        status: ['active', 'left'],
        archived: [false, true],
        title: ['', 'COO'],
      },
      nameOf,
    ),
  ).toEqual([
    { field: 'How did you hear?', from: '—', to: 'Told us in advance' },
    { field: 'Prefers to be reached by', from: '—', to: 'Email' },
    { field: 'Started in this role on', from: '—', to: '13 Sep 2024' },
    { field: 'Birthday', from: '14 Mar 1980', to: '9 Sep' },
    { field: 'Reports to', from: '—', to: 'Paul Whitman' },
    { field: 'Roles in the buying chain', from: 'User', to: "Decision-maker, Decision-maker's boss" },
    { field: 'Status', from: 'Still there', to: 'Left' },
    { field: 'Archived', from: 'No', to: 'Yes' },
    { field: 'Job title', from: '—', to: 'COO' },
  ]);
});

/** Human labels for the stored codes. */
const labels: Record<string, string> = {
  decision_maker: 'Decision-maker',
  boss: "Decision-maker's boss",
  user: 'User',
  influencer: 'Influencer',
  champion: 'Champion',
  outside_office: 'Outside the office',
  customer_office: 'At their office',
  virtual: 'Video call',
  phone: 'Phone',
  service_call: 'Service call',
  told_in_advance: 'Told us in advance',
  surprise: 'Surprise',
  in_person: 'In person',
  at_risk: 'At risk',
  getting_started: 'Getting started',
  reports_to_contact_id: 'Reports to',
  replacement_contact_id: 'Replaced by',
};

export function label(code: unknown): string {
  const text = String(code ?? '');
  return labels[text] ?? text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, ' ');
}

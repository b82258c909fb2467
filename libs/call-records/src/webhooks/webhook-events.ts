/** The lifecycle webhook events, in the order of a call's life. */
export const WEBHOOK_EVENT_TYPES = ['call.started', 'tool.called', 'call.transferred', 'call.ended', 'call.analyzed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event types a comma list names (`*`: all); throws naming an unknown one and the known ones. */
export function parseWebhookEvents(list: string): WebhookEventType[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.includes('*')) return [...WEBHOOK_EVENT_TYPES];
  const unknown = names.filter((name) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown event${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${WEBHOOK_EVENT_TYPES.join(', ')}, or *)`);
  return [...new Set(names)] as WebhookEventType[];
}

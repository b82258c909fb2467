import { formatTranscriptLine, SimulatedCallResult } from '@app/simulators';

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);

/** The conversation and the figures, for people. */
export function formatReport(result: SimulatedCallResult): string {
  const { figures } = result;
  const lines = ['', 'Conversation'];
  if (result.transcript.length === 0) lines.push(`  (${result.transcriptNote ?? 'no transcript events'})`);
  for (const line of result.transcript) lines.push(`  ${formatTranscriptLine(line)}`);
  lines.push(
    '',
    'Figures',
    `  webhook (TwiML) ............ ${ms(figures.webhookMs)}`,
    `  media stream connect ....... ${ms(figures.streamConnectMs)}`,
    `  first assistant audio ...... ${ms(figures.firstAudioMs)} after start`,
    `  reply after caller stopped . ${figures.replyLatencyMs.length ? figures.replyLatencyMs.map((v) => ms(v)).join(', ') : 'n/a'}`,
    `  barge-in reaction (clear) .. ${ms(figures.bargeInReactionMs)}`,
    `  assistant audio received ... ${(figures.assistantAudioMs / 1000).toFixed(1)} s (${figures.marksEchoed} marks echoed, ${figures.clears} clears)`,
    `  call length ................ ${(figures.callMs / 1000).toFixed(1)} s`,
    '',
  );
  return lines.join('\n');
}

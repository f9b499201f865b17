/** The Docker network of a team: its apps and add-ons reach each other on it, nothing else does. */
export function teamNetworkName(teamId: number): string {
  if (!Number.isSafeInteger(teamId) || teamId < 0) throw new Error(`invalid team id: ${teamId}`);
  return `slipway-team-${teamId}`;
}

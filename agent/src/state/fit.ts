/**
 * The longest prefix of `items` whose JSON stays within `budgetBytes` (UTF-8), so a retained
 * snapshot never exceeds the message size limit of DESIGN.md ("Size"). Consumers get the complete
 * list from the matching command (peers.list, calls.list), which streams in parts.
 */
export function fitToBudget<T>(items: readonly T[], budgetBytes: number): { items: T[]; truncated: boolean } {
  let used = 2;
  const out: T[] = [];
  for (const it of items) {
    const n = Buffer.byteLength(JSON.stringify(it)) + 1;
    if (used + n > budgetBytes) return { items: out, truncated: true };
    used += n;
    out.push(it);
  }
  return { items: out, truncated: false };
}

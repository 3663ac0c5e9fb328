/**
 * The gas limit to send an L1 write with, given the node's estimate.
 *
 * An estimate is exact for the state and timestamp it was made against, not for the block the transaction lands
 * in. PlasmaCash's gas use depends on both: a challenge or a response pushes an exit's finalizableAt (one more
 * storage write) only when now + RESPONSE_PERIOD is past it, so a transaction estimated one second before that
 * boundary and mined one second after it runs out of gas. For a watcher answering a challenge near its deadline,
 * a lost attempt can cost the coin. Unused gas is refunded, so the margin costs nothing but a higher cap:
 * a quarter more, plus room for two cold storage writes.
 */
export function withGasMargin(estimate: bigint): bigint {
  return estimate + estimate / 4n + 50_000n;
}

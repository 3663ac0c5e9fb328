// How every part of the project (operator logs, CLI messages) words an error in one line.

/** The readable part of an error (ethers' `shortMessage`), with a system error code from its cause, e.g. "fetch failed (ECONNREFUSED)". */
export function errorMessage(error: unknown): string {
  const short = (error as { shortMessage?: unknown } | null)?.shortMessage;
  const message = typeof short === 'string' ? short : error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' && !message.includes(cause.code) ? `${message} (${cause.code})` : message;
}

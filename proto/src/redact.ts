/**
 * Credential-shaped text: what an upstream (an LLM, TTS or embeddings vendor) may echo back in
 * an error ("Incorrect API key provided: sk-proj-…"), and what must never reach a run's error,
 * an event, the history or a log line.
 */
const CREDENTIAL_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization header values, whatever the scheme.
  [/\b(Bearer|Basic|Token)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  // key=…, "api_key": "…", token: …, secret=…, password: …
  [/([?&;]key=)[^\s"'&#]+/gi, '$1[redacted]'],
  [/\b((?:x[-_])?api[-_ ]?key|access[-_]?token|auth[-_]?token|token|secret|password|passwd)(["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}]+/gi, '$1$2[redacted]'],
  // Vendor key shapes: OpenAI/Anthropic sk-…, Groq gsk_…, xAI, Hugging Face, GitHub, GitLab, AWS, Slack, Google.
  [/\b(?:sk|pk|rk|gsk|xai|hf|ghp|gho|ghs|ghu|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9*._-]{6,}/g, '[redacted]'],
  [/\bAKIA[0-9A-Z]{16}\b/g, '[redacted]'],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, '[redacted]'],
];

/** The values of the request headers that carry credentials, for `redactSecrets`. */
export function secretsOfHeaders(headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!/^(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|cookie)$/i.test(name)) continue;
    secrets.push(value);
    const parts = value.split(/\s+/);
    if (parts.length > 1) secrets.push(parts.slice(1).join(' '));
  }
  return secrets;
}

/**
 * `text` with every known secret (and any piece of one at least 8 characters long that starts
 * or ends it, the way vendors print "sk-proj-ab…wxyz") and anything credential-shaped replaced
 * by `[redacted]`.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    out = out.split(secret).join('[redacted]');
    // Masked forms show a head and a tail of the key: hide any 8+ character head or tail seen
    // (of a key, not of a header value such as "Bearer <key>").
    if (/\s/.test(secret)) continue;
    for (const piece of [secret.slice(0, 12), secret.slice(-12), secret.slice(0, 8), secret.slice(-8)]) {
      if (piece.length >= 8) out = out.split(piece).join('[redacted]');
    }
  }
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

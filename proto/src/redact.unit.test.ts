import { redactSecrets, secretsOfHeaders } from './redact';

describe('redactSecrets', () => {
  const key = 'sk-proj-AbCdEf0123456789XyZ';

  it('cuts a known key out, whole or shown by its head and tail', () => {
    const text = `Incorrect API key provided: ${key}. Shown as ${key.slice(0, 8)}****${key.slice(-4)} or ...${key.slice(-8)}`;
    const out = redactSecrets(text, [key]);
    expect(out).not.toContain(key);
    expect(out).not.toContain(key.slice(0, 8));
    expect(out).not.toContain(key.slice(-8));
    expect(out).toMatch(/^Incorrect API key provided: \[redacted\]/);
  });

  it('cuts credential-shaped text it was not told about', () => {
    expect(redactSecrets('Authorization: Bearer abc.def.ghi failed')).toBe('Authorization: Bearer [redacted] failed');
    expect(redactSecrets('{"api_key": "q1w2e3r4t5", "model": "gpt"}')).toBe('{"api_key": "[redacted]", "model": "gpt"}');
    expect(redactSecrets('url?key=zzz&token=yyy&x=1')).toBe('url?key=[redacted]&token=[redacted]&x=1');
    expect(redactSecrets('use gsk_live1234567890 or ghp_abcdefghijklmnop')).toBe('use [redacted] or [redacted]');
    expect(redactSecrets('AKIAIOSFODNN7EXAMPLE leaked')).toBe('[redacted] leaked');
  });

  it('leaves ordinary error text alone', () => {
    const text = 'model gpt-4o-mini does not exist; max_tokens: 4096 is too large (tokens: 5000)';
    expect(redactSecrets(text, ['short'])).toBe(text);
  });

  it('finds the credentials among request headers', () => {
    expect(secretsOfHeaders({ authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-api-key': 'ak-123456789' }))
      .toEqual([`Bearer ${key}`, key, 'ak-123456789']);
  });
});

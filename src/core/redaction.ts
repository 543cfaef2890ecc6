// Secrets are removed before anything is written: what reaches the file (and its WAL, and its backups) never held
// them. Redacting on display only, as some runtimes do, leaves every token that ever flowed in the stored rows.

export const REDACTED = '[REDACTED]';

/**
 * Object keys whose values are stored as "[REDACTED]", at any depth of trigger data, metadata, step input and
 * output. A string matches every key that contains it, ignoring case and the separators '-' and '_' ('apiKey'
 * matches 'api_key', 'X-API-Key' and 'apikeys'); a RegExp is tested against the key, ignoring case.
 */
export const DEFAULT_REDACT_KEYS: readonly (string | RegExp)[] = Object.freeze([
  'password',
  'passwd',
  'secret', // clientSecret, client_secret, webhookSecret
  'token', // accessToken, refresh_token, id_token, also usage counters such as prompt_tokens
  'apiKey',
  'accessKey',
  'privateKey',
  'authorization',
  'cookie', // Cookie, Set-Cookie
  'credential',
  'signature',
  /^auth$/, // { auth: { username, password } } as HTTP clients take it; not 'author'
]);

const MAY_HOLD_TOKEN = /bearer|eyj/i;
/** A RegExp key that is a word of letters between optional anchors (the defaults' /^auth$/): its letters. */
const PLAIN_WORD = /^\^?([a-z]+)\$?$/i;
const MAX_KEY_VERDICTS = 10_000;
const MAX_KEY_VERDICT_LENGTH = 100;

/** Decides which keys are secret, and scrubs secret-looking parts out of free text (error messages, stacks). */
export class Redactor {
  private readonly secretKey: RegExp | null;
  private readonly secretText: RegExp;
  /** Keys decided already: payloads of a workflow repeat the same few hundred keys, and a lookup costs a tenth of the test. */
  private readonly keyVerdicts = new Map<string, boolean>();
  /**
   * Whether no key pattern can match an array index ('0', '17') or the empty key of a payload's root: true when every
   * key is a string holding a letter, or a RegExp of letters between optional anchors (the defaults are). The
   * encoder's fast path, which does not test those keys, is taken only then.
   */
  readonly indexesNeverSecret: boolean;
  /**
   * Finds, in a payload's JSON, everything this redactor could change, and more: the secret words anywhere (a key
   * that matches holds one verbatim, as JSON escapes none of their characters), '=', the bearer and JWT markers, and
   * any backslash (a quote inside a string, a key JSON had to escape). Null when the keys cannot be put so: a RegExp
   * other than a plain word between optional anchors, or a key that could match an array index.
   */
  private readonly sieve: RegExp | null;

  constructor(keys: readonly (string | RegExp)[]) {
    const alternatives = keys.map((key) => (typeof key === 'string' ? separatorTolerant(key) : key.source));
    this.indexesNeverSecret = keys.every((key) => (typeof key === 'string' ? /[a-z]/i.test(key) : PLAIN_WORD.test(key.source)));
    this.secretKey = alternatives.length === 0 ? null : new RegExp(alternatives.join('|'), 'i');
    const words = keys.map((key) => (typeof key === 'string' ? separatorTolerant(key) : (PLAIN_WORD.exec(key.source)?.[1] ?? '')));
    this.sieve = this.indexesNeverSecret ? new RegExp([...words, 'bearer', 'eyj', '[=\\\\]'].join('|'), 'i') : null;
    // Every repetition is bounded and no pattern starts with an open-ended run of word characters: one that did
    // took minutes on a 50 MB word (each position re-scanned the rest of it), and 13 µs on a 1 KB sentence.
    const secret = alternatives.join('|');
    const named = alternatives.length === 0 ? [] : [
      // key=value, as in URLs and log lines: https://api.test/v1?api_key=abc (matched from the secret word on)
      String.raw`(?<assigned>(?:${secret})[\w-]{0,40}=)[^&\s"'<>,;]+`,
      // "key": "value", as in a JSON response body quoted in an error message
      String.raw`(?<quoted>"[\w-]{0,40}?(?:${secret})[\w-]{0,40}"\s*:\s*)"(?:[^"\\]|\\.)*"`,
    ];
    this.secretText = new RegExp(
      [
        String.raw`(?<bearer>\bBearer\s+)[\w\-.~+/]+=*`,
        String.raw`\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*`, // a JSON Web Token, wherever it appears
        ...named,
      ].join('|'),
      'gi',
    );
  }

  isSecretKey(key: string): boolean {
    const known = this.keyVerdicts.get(key);
    if (known !== undefined) return known;
    const secret = this.secretKey !== null && this.secretKey.test(key);
    // Bounded: keys made of data (ids as keys) would otherwise grow it without end.
    if (this.keyVerdicts.size < MAX_KEY_VERDICTS && key.length <= MAX_KEY_VERDICT_LENGTH) this.keyVerdicts.set(key, secret);
    return secret;
  }

  /**
   * Whether redacting the payload this JSON was written from could change anything; false is sure, true may be wrong
   * (a secret word inside a value). Always true when the keys cannot be searched for in text.
   */
  mayChangeJson(json: string): boolean {
    return this.sieve === null || this.sieve.test(json);
  }

  /** Whether text() leaves this text as it is, decided cheaply: it holds none of what every pattern needs. */
  surelyPlainText(value: string): boolean {
    return !value.includes('=') && !value.includes('"') && !MAY_HOLD_TOKEN.test(value);
  }

  /** The text with bearer tokens, JWTs and values of secret keys replaced by [REDACTED]. */
  text(value: string): string {
    // Every pattern needs one of these; most text has none, and looking costs a tenth of the full search.
    if (this.surelyPlainText(value)) return value;
    return value.replace(this.secretText, (...match) => {
      const groups = match.at(-1) as Record<string, string | undefined>;
      if (groups.bearer !== undefined) return `${groups.bearer}${REDACTED}`;
      if (groups.assigned !== undefined) return `${groups.assigned}${REDACTED}`;
      if (groups.quoted !== undefined) return `${groups.quoted}"${REDACTED}"`;
      return REDACTED;
    });
  }
}

/** 'apiKey' → a pattern that also matches 'api_key', 'API-KEY' and 'apikey'. */
function separatorTolerant(key: string): string {
  return [...key.replace(/[-_]/g, '')].map((char) => char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[-_]?');
}

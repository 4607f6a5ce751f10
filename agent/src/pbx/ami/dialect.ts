import type { AmiDialect } from './types';

/**
 * Major Asterisk version from CoreSettings `AsteriskVersion` (reference §1.6): `11.25.3` → 11, `1.8.32.3` → 1,
 * `certified/13.8-cert4` → 13, `GIT-16-abc` → 16. Undefined when no number is found.
 */
export function majorFromVersion(version: string): number | undefined {
  const m = /(\d+)(?:\.(\d+))?/.exec(version);
  if (!m?.[1]) return undefined;
  const major = Number(m[1]);
  return Number.isFinite(major) ? major : undefined;
}

/**
 * Best guess of the major Asterisk version from the greeting banner alone (reference §0.3), used only when
 * CoreSettings fails. `2.8.0` is both 13.5–13.12 and 14.0–14.1: it is taken as 13 (the Elastix case).
 */
export function majorFromBanner(amiVersion: string): number {
  const [a = 0, b = 0] = amiVersion.split('.').map((x) => Number(x) || 0);
  if (a < 2) return b <= 1 ? 1 : b === 2 ? 10 : 11;
  if (a === 2) return b < 5 ? 12 : 13;
  if (a === 3) return 14;
  // 4.x ⇒ 15, 5.x ⇒ 16, 6.x ⇒ 17 … (§0.3: one AMI major per Asterisk major from 15 on).
  return a + 11;
}

/** Builds the dialect record: the `Command` format flips at 14, not 13 (reference §2, §14 trap 1). */
export function makeDialect(fields: {
  amiVersion: string;
  asteriskVersion: string | undefined;
  chanSip: boolean;
  pjsip: boolean;
}): AmiDialect {
  const major =
    (fields.asteriskVersion && majorFromVersion(fields.asteriskVersion)) ||
    majorFromBanner(fields.amiVersion);
  return {
    amiVersion: fields.amiVersion,
    asteriskVersion: fields.asteriskVersion ?? '',
    major,
    commandFormat: major >= 14 ? 'output' : 'follows',
    chanSip: fields.chanSip,
    pjsip: fields.pjsip,
  };
}

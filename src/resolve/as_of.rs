//! `AS OF VERSION n` and `AS OF 'timestamp'`: which committed version a statement reads.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::ResolveError;
use crate::storage::VersionRecord;
use crate::syntax::AsOf;

/// The version `as_of` names, given every version record (oldest first) and the oldest
/// version VACUUM left readable.
///
/// A timestamp picks the last version committed at or before it. It may be RFC 3339
/// (`2026-11-28T10:00:00Z`, any offset), `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`
/// (UTC), or a date `YYYY-MM-DD` (its midnight, UTC).
pub fn version_as_of(
    as_of: &AsOf,
    versions: &[VersionRecord],
    oldest: u64,
) -> Result<u64, ResolveError> {
    let latest = versions.last().map_or(0, |v| v.version);
    let version = match as_of {
        AsOf::Version { version, span } => {
            version
                .parse::<u64>()
                .map_err(|_| ResolveError::InvalidArgument {
                    message: format!(
                        "`{version}` is not a version number; SHOW HISTORY lists the versions"
                    ),
                    span: *span,
                })?
        }
        AsOf::Time(text) => {
            let time = parse_time(&text.value).ok_or_else(|| ResolveError::InvalidArgument {
                message: format!(
                    "'{}' is not a timestamp: write '2026-11-28T10:00:00Z', '2026-11-28 10:00:00' (UTC) or '2026-11-28'",
                    text.value
                ),
                span: text.span,
            })?;
            let mut found = None;
            for v in versions {
                match DateTime::parse_from_rfc3339(&v.time) {
                    Ok(t) if t.with_timezone(&Utc) <= time => found = Some(v.version),
                    _ => break,
                }
            }
            found.ok_or_else(|| ResolveError::InvalidArgument {
                message: format!(
                    "the database did not exist yet at {}: it was created at {}",
                    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    versions.first().map_or("", |v| v.time.as_str())
                ),
                span: text.span,
            })?
        }
    };
    let span = as_of.span();
    if version > latest {
        return Err(ResolveError::UnknownVersion {
            version,
            latest,
            span,
        });
    }
    if version < oldest {
        return Err(ResolveError::CompactedVersion {
            version,
            oldest,
            span,
        });
    }
    Ok(version)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

//! The blameless check: postmortems describe what the system and the process allowed, not who
//! is to blame. Before review, every sentence is checked against one documented list of rules;
//! each flag names the sentence, the rule and a suggestion. Authors may dismiss a flag with a
//! reason (a quotation, say); a flag's id stays the same while its sentence does, so a dismissal
//! survives other edits.

use serde::Serialize;

/// One rule of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlamelessRule {
    pub id: &'static str,
    /// What the rule looks for, for the documentation.
    pub looks_for: &'static str,
    pub suggestion: &'static str,
}

/// The rules, in the order flags are reported. `person_failed` uses the names of the people in
/// the incident; the others are phrases matched ignoring case on word boundaries.
pub const BLAMELESS_RULES: [BlamelessRule; 6] = [
    BlamelessRule {
        id: "fault",
        looks_for: "\"X's fault\", \"the fault of\", \"to blame\", \"blamed\"",
        suggestion: "Describe what made the failure possible (a missing check, an unclear runbook) instead of whose fault it was.",
    },
    BlamelessRule {
        id: "should_have",
        looks_for: "\"should have\", \"should've\", \"ought to have\"",
        suggestion: "Say what the system or process did not make easy, and what would make the right action the default.",
    },
    BlamelessRule {
        id: "careless",
        looks_for: "\"careless\", \"negligent\", \"sloppy\", \"lazy\", \"incompetent\", \"stupid\", \"reckless\"",
        suggestion: "Describe the action and the context in which it seemed reasonable, not a judgement of the person.",
    },
    BlamelessRule {
        id: "human_error",
        looks_for: "\"human error\", \"operator error\", \"user error\" given as a cause",
        suggestion: "Human error is a symptom, not a root cause: name the conditions that made the error possible and unnoticed.",
    },
    BlamelessRule {
        id: "person_failed",
        looks_for: "a person's name as the subject of a failure (\"Bo forgot …\", \"Ada broke …\")",
        suggestion: "Make the system or the step the subject: \"the deploy ran without the config check\" rather than \"Bo forgot the check\".",
    },
    BlamelessRule {
        id: "possessive_mistake",
        looks_for: "\"X's mistake\", \"X's error\", \"X's bad\"",
        suggestion: "Describe the mistake as an event in the timeline, not as someone's possession.",
    },
];

/// One flagged sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlamelessFlag {
    /// Stable while the sentence and the rule are: `rule:` plus a hash of the sentence.
    pub id: String,
    pub rule: &'static str,
    /// Where it was found: the section's name.
    pub section: String,
    pub sentence: String,
    /// The words that matched.
    pub matched: String,
    pub suggestion: &'static str,
}

const FAILURE_VERBS: [&str; 16] = [
    "forgot",
    "broke",
    "missed",
    "failed",
    "neglected",
    "ignored",
    "caused",
    "messed",
    "screwed",
    "botched",
    "overlooked",
    "didn't",
    "did not",
    "deleted",
    "dropped",
    "skipped",
];

fn phrases(rule: &str) -> &'static [&'static str] {
    match rule {
        "fault" => &["'s fault", "’s fault", "the fault of", "to blame", "blamed", "blame on"],
        "should_have" => &["should have", "should've", "ought to have", "shouldn't have", "should not have"],
        "careless" => {
            &["careless", "negligent", "negligence", "sloppy", "lazy", "incompetent", "stupid", "reckless"]
        }
        "human_error" => &["human error", "operator error", "user error"],
        "possessive_mistake" => &["'s mistake", "’s mistake", "'s error", "’s error", "'s bad", "’s bad"],
        _ => &[],
    }
}

/// The sentences of a text: split after `.`, `!` or `?` followed by a space, and at line breaks.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, c) in line.char_indices() {
            let ends = matches!(c, '.' | '!' | '?') && bytes.get(i + 1).is_none_or(|next| *next == b' ');
            if ends {
                out.push(line[start..=i].trim());
                start = i + 1;
            }
        }
        out.push(line[start..].trim());
    }
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Whether `needle` (lower case) occurs in `haystack` (lower case) on word boundaries.
fn find_phrase(haystack: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(at) = haystack[from..].find(needle) {
        let start = from + at;
        let end = start + needle.len();
        let before_ok = needle.starts_with(['\'', '’'])
            || haystack[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after_ok = haystack[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

/// A person's name (or first name) followed, within three words, by a failure verb.
fn person_failed(sentence_lower: &str, names: &[String]) -> Option<String> {
    let words: Vec<&str> = sentence_lower.split_whitespace().collect();
    for name in names {
        let name_lower = name.to_lowercase();
        let first = name_lower.split_whitespace().next().unwrap_or_default().to_owned();
        for (i, word) in words.iter().enumerate() {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            if first.is_empty() || word != first {
                continue;
            }
            let window = words[i + 1..words.len().min(i + 5)].join(" ");
            if let Some(verb) = FAILURE_VERBS.iter().find(|verb| find_phrase(&window, verb)) {
                return Some(format!("{name} … {verb}"));
            }
        }
    }
    None
}

fn sentence_hash(sentence: &str) -> String {
    // FNV-1a: stable across builds and platforms, which std's hasher does not promise.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sentence.trim().to_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Checks each `(section, text)`; `people` are the names of those involved (for `person_failed`).
/// "Human error" is flagged only where it is given as a cause: in a root-cause section, or in a
/// sentence that speaks of a cause.
pub fn check_blameless(sections: &[(&str, &str)], people: &[String]) -> Vec<BlamelessFlag> {
    let mut flags = Vec::new();
    for (section, text) in sections {
        for sentence in sentences(text) {
            let lower = sentence.to_lowercase();
            for rule in BLAMELESS_RULES {
                let matched = if rule.id == "person_failed" {
                    person_failed(&lower, people)
                } else {
                    phrases(rule.id).iter().find(|p| find_phrase(&lower, p)).map(|p| (*p).to_owned())
                };
                let Some(matched) = matched else { continue };
                if rule.id == "human_error" && !(section.contains("cause") || lower.contains("cause")) {
                    continue;
                }
                flags.push(BlamelessFlag {
                    id: format!("{}:{}", rule.id, sentence_hash(sentence)),
                    rule: rule.id,
                    section: (*section).to_owned(),
                    sentence: sentence.to_owned(),
                    matched: matched.trim_start_matches(['\'', '’']).to_owned(),
                    suggestion: rule.suggestion,
                });
            }
        }
    }
    flags
}

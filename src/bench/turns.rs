//! The summary's `by_turn`: a conversation workload's requests grouped by their turn, so the
//! growth of the prompt with the turn — and what a prefix cache saves of its prefill — shows.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::measures::Dist;
use super::record::{Outcome, RequestRecord};

/// One turn index over all conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnStats {
    /// Requests of this turn (every outcome).
    pub requests: usize,
    pub ok: usize,
    /// TTFT of the ok requests, seconds.
    pub ttft: Dist,
    /// Mean `usage.prompt_tokens` of the ok requests that reported it (the whole history).
    pub prompt_tokens_mean: Option<f64>,
}

/// Per turn (`"0"`, `"1"`, … in order); `None` where no record is a conversation's turn.
pub fn by_turn(records: &[RequestRecord]) -> Option<IndexMap<String, TurnStats>> {
    let last = records.iter().filter_map(|r| r.turn).max()?;
    Some(
        (0..=last)
            .map(|turn| {
                let of_turn: Vec<&RequestRecord> =
                    records.iter().filter(|r| r.turn == Some(turn)).collect();
                let ok: Vec<&&RequestRecord> = of_turn
                    .iter()
                    .filter(|r| r.outcome == Outcome::Ok)
                    .collect();
                let prompt: Vec<f64> = ok
                    .iter()
                    .filter_map(|r| r.prompt_tokens.map(|t| t as f64))
                    .collect();
                let stats = TurnStats {
                    requests: of_turn.len(),
                    ok: ok.len(),
                    ttft: Dist::of(ok.iter().filter_map(|r| r.ttft()).collect()),
                    prompt_tokens_mean: crate::stats::mean(&prompt),
                };
                (turn.to_string(), stats)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(turn: u32, ttft: f64, prompt: u64, ok: bool) -> RequestRecord {
        let mut r = RequestRecord::not_sent(0, None, prompt, 2);
        r.turn = Some(turn);
        r.conversation = Some(0);
        if ok {
            r.sent = Some(1.0);
            r.first_token = Some(1.0 + ttft);
            r.prompt_tokens = Some(prompt);
            r.outcome = Outcome::Ok;
        }
        r
    }

    #[test]
    fn turns_are_grouped_in_order_with_their_ttft_and_prompt() {
        assert_eq!(by_turn(&[RequestRecord::not_sent(0, None, 1, 1)]), None);
        let records = [
            turn(1, 0.3, 40, true),
            turn(0, 0.1, 10, true),
            turn(0, 0.2, 20, true),
            turn(1, 0.0, 50, false),
        ];
        let t = by_turn(&records).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["0", "1"]);
        assert_eq!((t["0"].requests, t["0"].ok), (2, 2));
        assert!((t["0"].ttft.mean.unwrap() - 0.15).abs() < 1e-9);
        assert_eq!(t["0"].prompt_tokens_mean, Some(15.0));
        assert_eq!((t["1"].requests, t["1"].ok), (2, 1));
        assert_eq!(t["1"].prompt_tokens_mean, Some(40.0));
        assert_eq!(t["1"].ttft.count, 1);
    }
}

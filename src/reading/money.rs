//! Money in a scenario: the sums its policy pays (「退还860元」, 「另赔2580元」) and
//! whether an offer names one of them. The customer engine hears a wrong sum through
//! the scene and the promise ledger lists it, with this one judgment.

/// What a sum of money does: gives back what the customer paid (退) or pays on top of
/// it (赔, 补偿). A clause that says both (「退一赔三」) is neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Money {
    Refund,
    Compensation,
}

impl Money {
    /// What the money in `text` does, by its verb: none when it says neither or both.
    pub fn of(text: &str) -> Option<Self> {
        let pays = text.contains('赔') || text.contains("补偿");
        let returns = text.contains('退') || text.contains("返还");
        match (returns, pays) {
            (true, false) => Some(Self::Refund),
            (false, true) => Some(Self::Compensation),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Refund => "退还",
            Self::Compensation => "赔偿",
        }
    }
}

/// The sums of money the scenario's policy pays, as its allowances name them
/// (「退还860元」, 「另赔2580元」): an offer must name one of them or a total of some.
#[derive(Debug, Clone, Default)]
pub struct PolicyMoney {
    each: Vec<(f64, Option<Money>)>,
}

impl PolicyMoney {
    /// The sums a scenario's policy names, from its `allows` (at most eight count).
    pub fn new(allows: &[String]) -> Self {
        let each = (allows.iter())
            .filter_map(|a| Some((super::slots_of(a).amount?, Money::of(a))))
            .take(8)
            .collect();
        Self { each }
    }

    /// The most money the allowances add up to (「退还860元」 and 「另赔2580元」: 3440),
    /// when they name any.
    pub fn ceiling(&self) -> Option<f64> {
        (!self.each.is_empty()).then(|| self.each.iter().map(|x| x.0).sum())
    }

    /// Whether a clause that names the sums `said` (and, where it says so, which kind
    /// of money they are) offers what the policy pays. Compensation is fixed (the law's
    /// 三倍, a set amount), so where the policy names one, compensation must be it
    /// (「再赔您860元」 is not the 2580 元 owed, though 860 元 is the refund), and so must
    /// a total of no kind (「一共给您1720元」): one allowance's amount or a total of
    /// several, holding the compensation when it is compensation. A refund may be
    /// less than the policy allows (「本月这10元先退给您」 of 30 元), never more than
    /// its refunds add up to, unless it names a total. A policy that names no
    /// compensation checks only its ceiling.
    pub fn pays(&self, said: &[f64], kind: Option<Money>) -> bool {
        let has = |k: Money| self.each.iter().any(|x| x.1 == Some(k));
        let is_total = |with: Option<Money>| {
            (1..1u32 << self.each.len()).any(|set| {
                let chosen = || {
                    (self.each.iter().enumerate())
                        .filter(move |(i, _)| set & (1 << i) != 0)
                        .map(|(_, x)| x)
                };
                let total: f64 = chosen().map(|x| x.0).sum();
                (with.is_none() || chosen().any(|x| x.1 == with))
                    && said.iter().any(|a| (a - total).abs() < 0.005)
            })
        };
        match kind {
            Some(Money::Refund) => {
                let refunds: f64 = (self.each.iter())
                    .filter(|x| x.1 == Some(Money::Refund))
                    .map(|x| x.0)
                    .sum();
                !has(Money::Refund) || said.iter().any(|a| *a <= refunds + 0.005) || is_total(None)
            }
            Some(Money::Compensation) if has(Money::Compensation) => {
                is_total(Some(Money::Compensation))
            }
            None if has(Money::Compensation) => is_total(None),
            _ => true,
        }
    }

    /// Whether the clause `clause` names a sum the policy does not pay: the first sum
    /// it names, if so.
    pub fn wrong_in(&self, clause: &str) -> Option<f64> {
        // Most scenarios name no money: nothing to read then (the scene asks this of
        // every offer of every line).
        if self.each.is_empty() {
            return None;
        }
        let said = super::amounts_of(clause);
        let first = *said.first()?;
        (!self.pays(&said, Money::of(clause))).then_some(first)
    }

    /// Why `a` is the wrong sum: what the policy pays instead.
    pub fn wrong(&self, a: f64) -> String {
        let each: Vec<String> = (self.each.iter())
            .map(|(v, k)| match k {
                Some(k) => format!("{} {v} 元", k.label()),
                None => format!("{v} 元"),
            })
            .collect();
        let total = match (self.each.len(), self.ceiling()) {
            (2.., Some(t)) => format!("（合计 {t} 元）"),
            _ => String::new(),
        };
        let each = each.join("、");
        let gap = if each.starts_with(|c: char| c.is_ascii_digit()) {
            " "
        } else {
            ""
        };
        format!(
            "这个场景政策写明的是{gap}{each}{total}，这里说了 {a} 元；数额说错，兑现时对不上，客户会抓住不放"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The swapped-mainboard policy: refund 860 元, compensation 2580 元.
    fn mainboard() -> PolicyMoney {
        PolicyMoney {
            each: vec![
                (860.0, Some(Money::Refund)),
                (2580.0, Some(Money::Compensation)),
            ],
        }
    }

    #[test]
    fn an_offer_names_a_sum_the_policy_pays() {
        let m = mainboard();
        let pays = |clause: &str| m.pays(&crate::reading::amounts_of(clause), Money::of(clause));
        assert!(pays("先把860元维修费退给您"));
        assert!(pays("另外赔偿您2580元"));
        assert!(pays("一共给您3440元"));
        assert!(pays("退您860元再赔您2580元"));
        // A walk through the sum names the total too.
        assert!(pays("860元的三倍就是2580元，这笔赔给您"));
        // Compensation of the refund's amount, a made-up total, too little back.
        assert!(!pays("也就是再赔您860元"));
        assert!(!pays("一共给您1720元"));
        assert!(!pays("另外赔偿您500元"));
        // A refund may be less than the policy allows, not more.
        assert!(pays("先退您500元"));
        assert!(!pays("退您1000元"));
        assert_eq!(m.wrong_in("也就是再赔您860元"), Some(860.0));
        assert_eq!(m.wrong_in("另外赔偿您2580元"), None);
        assert_eq!(m.wrong_in("给您换一台新的"), None);
        assert!(
            m.wrong(1720.0)
                .contains("是退还 860 元、赔偿 2580 元（合计 3440 元），这里说了 1720 元")
        );
        // A policy that names no compensation checks no total; one that names no money
        // checks none.
        let refund_only = PolicyMoney {
            each: vec![(30.0, Some(Money::Refund))],
        };
        assert!(refund_only.pays(&[10.0], Some(Money::Refund)));
        assert!(refund_only.pays(&[20.0], None));
        assert!(!refund_only.pays(&[40.0], Some(Money::Refund)));
        assert!(PolicyMoney::default().pays(&[1.0], None));
    }

    #[test]
    fn money_is_returned_or_paid() {
        assert_eq!(Money::of("退还120元"), Some(Money::Refund));
        assert_eq!(Money::of("补偿您200元"), Some(Money::Compensation));
        assert_eq!(Money::of("退一赔三"), None);
        assert_eq!(Money::of("一共给您1720元"), None);
    }
}

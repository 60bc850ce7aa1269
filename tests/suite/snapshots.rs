//! Golden scorecards: the rendered scorecards of hand-written sessions that exercise
//! every dimension and rule, so that any change in scoring shows up as a reviewed
//! snapshot diff (`cargo insta review`). The generated-at time is redacted; everything
//! else must stay byte for byte the same.

use crate::common;

use common::{Dir, transcript};

type Lines<'a> = &'a [(&'a str, &'a [&'a str])];

/// Good handling, a 禁语 (grade capped), cross-turn violations (rushed, empty
/// apologies, arguing at once) and a promise the policy forbids.
const SESSIONS: [(&str, &str, &str, Lines, &str); 4] = [
    (
        "good",
        "emotional",
        "floppy-drive",
        common::GOOD_SESSION,
        "resolved",
    ),
    (
        "forbidden-capped",
        "emotional",
        "floppy-drive",
        &[
            ("您好,请问有什么可以帮您?", &[]),
            ("非常理解您的心情。", &["heard"]),
            ("公司的规定就是这样的,不过请问您的单号是多少?", &["heard"]),
            (
                "您的意思是软驱坏了,对吗?您放心,一定会给您解决,我们免费上门更换。",
                &["heard", "assured"],
            ),
            (
                "明天中午前给您回电话,感谢您,还有其他需要吗?",
                &["heard", "assured"],
            ),
        ],
        "resolved",
    ),
    (
        "violations",
        "stubborn",
        "vas-dispute",
        &[
            ("你这么说就不对了,我们给您退订就是了。", &[]),
            ("对不起。", &[]),
            ("真的很抱歉。", &[]),
            ("实在对不起,你看不懂中文吗?", &[]),
        ],
        "walked_out",
    ),
    (
        "broken-promise",
        "prepared",
        "swapped-mainboard",
        &[
            (
                "您好,我先核实一下:您是说主板被我们换回去了,对吗?",
                &["verified"],
            ),
            ("我保证给您十倍赔偿,今天就打到您卡上。", &["verified"]),
        ],
        "out_of_turns",
    ),
];

#[test]
fn golden_scorecards() {
    for (name, persona, scenario, lines, outcome) in SESSIONS {
        let d = Dir::new();
        d.write("t.jsonl", transcript(persona, scenario, lines, outcome));
        let v = common::stdout_json(
            d.cmd()
                .args(["score", "--format", "json", "t.jsonl"])
                .output()
                .unwrap(),
        );
        insta::assert_json_snapshot!(format!("{name}.json"), v, {
            ".generated_at" => "[generated_at]",
            ".source.peilian" => "[version]",
            ".source.rubric_hash" => "[rubric hash]",
        });
        let text = d.cmd().args(["score", "t.jsonl"]).output().unwrap();
        insta::assert_snapshot!(
            format!("{name}.txt"),
            String::from_utf8(text.stdout).unwrap()
        );
    }
}

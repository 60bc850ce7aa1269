# How the broken files were made: the starter persona and a small house rubric, with
# one or a few edits each. Rerun after changing the starter, then bless the expected
# messages (PEILIAN_BLESS=1 cargo test --test tests trainer_errors::) and read the diff.
import os, sys
root=os.path.dirname(os.path.abspath(__file__))
starter=open(os.path.join(root, '../../../src/persona/starter.toml')).read().replace('{id}','t')
rubric='''# 门店的规则文件（测试用的基准，每个坏文件只改一处或几处）
id = "house"
name = "门店规范"
version = 1

[kinds]
praise = { label = "赞美", polarity = "good" }

[[rules]]
id = "praise.nice"
kind = "praise"
patterns = ["您真专业"]

[[rules]]
id = "forbidden.not-mine"
kind = "forbidden"
phrase = "这不归我管"
patterns = ["不归我管"]
better = "我来帮您联系负责的同事"
weight = 2

[scoring]
grades = [
  { name = "优秀", min = 90 },
  { name = "合格", min = 60 },
  { name = "不合格", min = 0 },
]
'''
def edit(base, pairs, name):
    s = base
    for a, b in pairs:
        assert s.count(a) >= 1, (name, a)
        s = s.replace(a, b, 1)
    return s
P = [
 ("01-fullwidth-comma-in-array", [('traits = ["特征:这类客户通常怎么表现"]', 'traits = ["说话急"，"容易激动"]')]),
 ("02-enumeration-comma-in-array", [('any = ["empathy", "restate"]', 'any = ["empathy"、"restate"]')]),
 ("03-chinese-colon", [('anger = 60 ', 'anger：60 ')]),
 ("04-fullwidth-equals", [('trust = ', 'trust ＝ ')]),
 ("05-ascii-colon", [('patience = 12 ', 'patience: 12 ')]),
 ("06-curly-double-quotes", [('name = "新客户类型"', 'name = “新客户类型”')]),
 ("07-curly-single-quotes", [('summary = "一句话说明这类客户"', "summary = ‘一句话说明这类客户’")]),
 ("08-missing-closing-quote", [('summary = "一句话说明这类客户"', 'summary = "一句话说明这类客户')]),
 ("09-text-without-quotes", [('summary = "一句话说明这类客户"', 'summary = 一句话说明这类客户')]),
 ("10-chinese-number", [('anger = 60 ', 'anger = 六十 ')]),
 ("11-fullwidth-digits", [('accept_below = 45', 'accept_below = ４５')]),
 ("12-chinese-yes", [('accept = true', 'accept = 是')]),
 ("13-chinese-brackets-header", [('[mood]', '【mood】')]),
 ("14-fullwidth-space", [('accept_below = 45', 'accept_below　= 45')]),
 ("15-trailing-chinese-comma", [('summary = "一句话说明这类客户"', 'summary = "一句话说明这类客户"，')]),
 ("16-several-slips-at-once", [('traits = ["特征:这类客户通常怎么表现"]', 'traits = ["说话急"，"容易激动"]'), ('anger = 60 ', 'anger = 六十 '), ('title = "一句话标题"', 'title = “一句话标题”')]),
 ("17-quoted-chinese-number", [('anger = 60 ', 'anger = "六十" ')]),
 ("18-quoted-digits", [('patience = 12 ', 'patience = "12" ')]),
 ("19-negative-turns", [('patience = 12 ', 'patience = -12 ')]),
 ("20-decimal-where-whole-number", [('patience = 12 ', 'patience = 12.5 ')]),
 ("21-quoted-true", [('accept = true', 'accept = "true"')]),
 ("22-text-where-list", [('traits = ["特征:这类客户通常怎么表现"]', 'traits = "说话急"')]),
 ("23-single-brackets-for-scenarios", [('[[scenarios]]\nid = "example"', '[scenarios]\nid = "example"')]),
 ("24-misspelt-field", [('accept_below = 45', 'accept_below = 45\nwalkout_at = 90')]),
 ("25-field-in-the-wrong-table", [('after_turn = 1', 'after_turn = 1\nwalk_out_at = 90')]),
 ("26-missing-required-field", [('accept_below = 45   # 愤怒降到这个值以下才可能接受方案\n', '')]),
 ("27-misspelt-expect", [('expect = "resolved"', 'expect = "resolve"')]),
 ("28-misspelt-channel", [('slots = { order = "编号-0001" }', 'slots = { order = "编号-0001" }\nchannel = "conter"')]),
 ("29-all-type-errors-at-once", [('anger = 60 ', 'anger = "很生气" '), ('patience = 12 ', 'patience = "十二" '), ('accept = true', 'accept = "是"')]),
 ("30-misspelt-table", [('[lines]', '[line]')]),
 ("31-accept-below-not-below-walk-out", [('accept_below = 45', 'accept_below = 95'), ('walk_out_at = 100', 'walk_out_at = 90')]),
 ("32-deadline-past-patience", [('after_turn = 1', 'after_turn = 1\nby_turn = 30')]),
 ("33-misspelt-kind-in-need", [('any = ["empathy", "restate"]', 'any = ["emapthy", "restate"]')]),
 ("34-misspelt-reaction", [('apology = { anger', 'apologie = { anger')]),
 ("35-unknown-slot", [('opening = ["你好,我要投诉,你们的{product}出问题了!"]', 'opening = ["你好,我要投诉,你们的{prodcut}出问题了!"]')]),
 ("36-counter-scenario-opens-with-a-phone-line", [('opening = ["你好,我要投诉,你们的{product}出问题了!"]', 'opening = ["喂?你们的{product}出问题了!"]'), ('slots = { order = "编号-0001" }', 'slots = { order = "编号-0001" }\nchannel = "counter"')]),
 ("37-starting-anger-at-walk-out", [('anger = 60 ', 'anger = 95 '), ('walk_out_at = 100', 'walk_out_at = 90')]),
 ("38-duplicate-key", [('summary = "一句话说明这类客户"', 'summary = "一句话说明这类客户"\nsummary = "又写了一次"')]),
 ("39-number-where-text", [('industry = "行业"', 'industry = 12315')]),
 ("40-zero-count", [('after_turn = 1', 'after_turn = 1\ncount = 0')]),
 ("41-type-and-value-problems-at-once", [('anger = 60 ', 'anger = "九十五" '), ('walk_out_at = 100', 'walk_out_at = 90'), ('closing = ["行,那我等你们的消息。"]', 'closing = []'), ('accept = true', 'accept = "是"')]),
 ("43-list-without-closing-bracket", [('venting = ["我到现在还是很生气。"]', 'venting = ["我到现在还是很生气。"')]),
 ("44-quote-inside-text", [('brief = "来电客户是谁', 'brief = "来电客户说"我要投诉"，是谁')]),
 ("45-missing-value", [('trust = ', 'trust =  # ')]),
 ("42-single-brackets-and-a-bad-slot", [('[[scenarios]]\nid = "example"', '[scenarios]\nid = "example"'), ('answer = "单号是{order}。"', 'answer = "单号是{odrer}。"')]),
]
R = [
 ("01-fullwidth-comma-in-patterns", [('patterns = ["不归我管"]', 'patterns = ["不归我管"，"找别人去"]')]),
 ("02-curly-quotes-in-pattern", [('patterns = ["您真专业"]', 'patterns = [“您真专业”]')]),
 ("03-weight-in-chinese", [('weight = 2', 'weight = "二"')]),
 ("04-misspelt-weight", [('weight = 2', 'wieght = 2')]),
 ("05-misspelt-kind", [('kind = "forbidden"', 'kind = "forbiden"')]),
 ("06-bad-rule-without-better", [('better = "我来帮您联系负责的同事"\n', '')]),
 ("07-single-brackets-for-rules", [('[[rules]]\nid = "praise.nice"', '[rules]\nid = "praise.nice"')]),
 ("08-polarity-in-chinese", [('polarity = "good"', 'polarity = "好"')]),
 ("09-kind-without-rules", [('praise = { label = "赞美", polarity = "good" }', 'praise = { label = "赞美", polarity = "good" }\nthanks_a_lot = { label = "感谢", polarity = "good" }')]),
 ("10-grade-in-chinese", [('min = 90 }', 'min = "九十" }')]),
 ("11-missing-version", [('version = 1\n', '')]),
 ("12-missing-closing-quote", [('phrase = "这不归我管"', 'phrase = "这不归我管')]),
 ("13-decimal-version", [('version = 1\n', 'version = 1.5\n')]),
 ("14-several-at-once", [('kind = "forbidden"', 'kind = "forbiden"'), ('weight = 2', 'weight = "二"'), ('version = 1\n', 'version = 1\nversoin = 2\n')]),
 ("15-grades-out-of-order", [('{ name = "合格", min = 60 }', '{ name = "合格", min = 95 }')]),
 ("17-list-without-closing-bracket", [('patterns = ["您真专业"]', 'patterns = ["您真专业",\n  "您说得对"')]),
 ("16-chinese-colon-in-table", [('[scoring]\n', '[scoring]\nviolation_points：5\n')]),
]
for d, base, cases in [('persona', starter, P), ('rubric', rubric, R)]:
    for name, pairs in cases:
        open(f'{root}/{d}/{name}.toml', 'w').write(edit(base, pairs, name))
print(len(P), len(R))

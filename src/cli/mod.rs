//! The command line: clap definitions (Chinese first, English second) and the dispatch
//! from each subcommand to the library. Each command family lives in its own file.

mod analyze;
mod assess_cmd;
mod completions;
mod config_cmd;
mod history_cmd;
mod llm_args;
mod llm_cmd;
mod persona_cmd;
mod practice_cmd;
mod rubric_cmd;
mod run_cmd;
pub(crate) mod score_cmd;
mod serve_cmd;

use std::cell::OnceCell;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, Dirs, PERSONA_DIR_ENV, RUBRIC_ENV, SESSIONS_DIR_ENV, TRAINEE_ENV};
use crate::persona::Catalog;
use crate::resolve::{self, Flags, Origin, Sourced};
use crate::rubric::{self, Analyser};

/// 陪练 peilian — 客服投诉处理陪练。A sparring partner for complaint handling.
#[derive(Debug, Parser)]
#[command(name = "peilian", version, about, long_about = None)]
pub struct Cli {
    /// 额外的客户画像目录（同编号覆盖内置客户）。Extra persona files; same id overrides a built-in.
    #[arg(long, global = true, value_name = "DIR", value_parser = crate::resolve::any_path(), env = crate::config::PERSONA_DIR_ENV)]
    pub persona_dir: Option<PathBuf>,

    /// 使用的规则文件（默认内置 default）。Rubric file to use instead of the built-in one.
    #[arg(long, global = true, value_name = "PATH", value_parser = crate::resolve::any_path(), env = crate::config::RUBRIC_ENV)]
    pub rubric: Option<PathBuf>,

    /// 配置文件（默认位置见 `peilian config path`；Linux 上是 ~/.config/peilian/config.toml）。Config file instead of the default one.
    #[arg(long, global = true, value_name = "PATH", value_parser = crate::resolve::any_path(), env = crate::config::CONFIG_ENV)]
    pub config: Option<PathBuf>,

    /// 颜色：auto（终端且没有 NO_COLOR 时上色，CLICOLOR_FORCE 强制上色）、always、never。
    /// Colour: auto (a terminal, honouring NO_COLOR and CLICOLOR_FORCE), always or never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: clap::ColorChoice,

    /// Without a subcommand, `peilian` practises and takes practice's options.
    #[command(flatten)]
    pub practice: practice_cmd::PracticeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 练习（默认命令）：选择客户类型开始对练。Practise against a customer (the default).
    Practice(practice_cmd::PracticeCmd),
    /// 客户画像：列出、查看、检查、新建。Personas: list, show, validate, new.
    #[command(subcommand)]
    Persona(PersonaCmd),
    /// 规则文件：检查。Rubrics: validate.
    #[command(subcommand)]
    Rubric(RubricCmd),
    /// 按台词文件跑一场对话（脚本练习、批量测试）。Play a scripted session from a file of trainee lines.
    Run(run_cmd::RunArgs),
    /// 给对话记录打分，输出评分卡。Score transcripts.
    Score(score_cmd::ScoreArgs),
    /// 考核：批量给一批对话记录或脚本打分，输出评分卡、汇总表和报告。Score a cohort.
    Assess(assess_cmd::AssessArgs),
    /// 大模型客户：检查服务。The LLM customer's server: check it.
    #[command(subcommand)]
    Llm(llm_cmd::LlmCmd),
    /// 分析：从标准输入逐行读取学员话术，标出命中的信号。Analyse utterances read from stdin, one per line.
    #[command(alias = "analyse")]
    Analyze {
        /// 每行输出一个 JSON 对象。Print one JSON object per input line.
        #[arg(long)]
        json: bool,
    },
    /// 输出文件格式的 JSON Schema，供编辑器补全和检查。Print the JSON Schema of a file format.
    Schema {
        #[arg(value_enum)]
        what: SchemaKind,
    },
    /// 网页练习：启动练习页面和培训师页面（默认 http://127.0.0.1:8730/）。Practice in the browser.
    Serve(serve_cmd::ServeArgs),
    /// 练习记录：以往每场的时间、客户类型、结局、得分和进步趋势。Past sessions, scores and the trend.
    History(history_cmd::HistoryArgs),
    /// 配置文件：路径、生效的设置及来源、生成模板。Config file: path, settings in force, template.
    #[command(subcommand)]
    Config(config_cmd::ConfigCmd),
    /// 输出 man 手册页（roff 格式，由命令定义生成）。Print the man page.
    Man,
    /// 输出 shell 补全脚本（bash、zsh、fish 等）。Print a shell completion script.
    Completions {
        /// 哪种 shell。Which shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum PersonaCmd {
    /// 列出所有客户类型。List the customer types.
    List {
        #[arg(long)]
        json: bool,
    },
    /// 查看一个客户类型的特征、建议和场景。Show a persona's traits, advice and scenarios.
    Show {
        /// 编号、名称或别名，如 emotional 或 感情用事。Id, name or alias.
        id: String,
        #[arg(long)]
        json: bool,
        /// 同时显示隐藏信息（事实、方案、需求、政策）。Also show hidden facts, remedies, needs, policy.
        #[arg(long)]
        reveal: bool,
    },
    /// 检查画像文件，列出全部错误（有错时退出码 1）。Validate persona files; exit 1 listing every error.
    Validate {
        /// 文件或目录。Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// 输出一个 JSON 对象（每个文件的结果和全部问题）。Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// 运行画像文件里的自检（不给参数则检查全部客户）；有失败退出码 1。Run persona self-checks.
    Test {
        /// 编号、名称、文件或目录。Ids, names, files or directories.
        targets: Vec<String>,
        /// 失败时显示每一轮的情绪和信号。Show the per-turn trace of failures.
        #[arg(long, short)]
        verbose: bool,
        /// 输出一个 JSON 对象（每条自检的结果）。Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// 生成一个带注释、可直接通过检查的画像模板。Write a commented starter persona that validates.
    New {
        /// 新客户的编号（小写字母、数字、-）。Id of the new persona.
        id: String,
        /// 写到哪个目录（默认当前目录）。Directory to write into.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// 覆盖已存在的文件。Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RubricCmd {
    /// 检查规则文件，列出全部错误（有错时退出码 1）。Validate rubric files; exit 1 listing every error.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// 输出一个 JSON 对象（每个文件的结果和全部问题）。Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// 查看生效的规则：继承来的、改过的、停用的、例句，各自来自哪里。Print the effective rubric.
    Show {
        /// 规则文件（不写就用 --rubric 或内置默认）。Rubric file (default: --rubric or built-in).
        path: Option<PathBuf>,
        /// 输出 JSON。
        #[arg(long)]
        json: bool,
    },
    /// 生成一个带注释、继承默认规范、可直接通过检查的规则文件（和 rubric.schema.json）。
    /// Write a commented starter rubric that extends the default, and the schema beside it.
    New {
        /// 编号（小写字母、数字、-），文件名是 编号.toml。Id; the file is ID.toml.
        id: String,
        /// 写到哪个目录（默认当前目录）。Directory to write into.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// 覆盖已存在的文件。Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// 试一句话怎么读：分句、行为，以及是哪句例句或哪条规则决定的（不给句子就从标准输入逐行读）。
    /// Show how lines are read and what decided each signal (stdin lines without arguments).
    Try {
        /// 要试的句子。Lines to read.
        lines: Vec<String>,
        /// 输出 JSON（每行一个对象）。Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// 校准：用标好“优秀/一般/差”的样例对话检查规则打分的高低顺序（有颠倒时退出码 1）。
    /// Check that the rubric orders labelled sample sessions (DIR/great, DIR/average, DIR/poor).
    Calibrate {
        /// 含 great/ average/ poor/（或 优秀/ 一般/ 差/）子目录的目录。
        dir: PathBuf,
        /// 输出一个 JSON 对象（各组统计和颠倒的样例）。Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// 评估读句模型：给标注文件（每行 `行为<TAB>句子`）就逐个行为算精确率和召回率；不给文件就显示
    /// 训练样例的 k 折交叉验证表。Measure the act model on labelled lines, or show its k-fold table.
    Evaluate {
        /// 标注文件（`rubrics/acts.md` 的格式）。Labelled files (`ACTS<TAB>TEXT`).
        files: Vec<PathBuf>,
        /// 另外列出读错的句子。Also list the lines read wrong.
        #[arg(long)]
        errors: bool,
        /// 输出 JSON。
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Persona,
    Rubric,
}

/// Run a parsed command line; the result is the process exit code (0 ok, 1 problems
/// found, errors are returned and become 2 in `main`). `matches` is what clap parsed
/// `cli` from: it tells a flag typed on the command line from its environment variable.
pub fn run(cli: Cli, matches: clap::ArgMatches) -> anyhow::Result<u8> {
    crate::ui::set_colour(cli.color);
    let ctx = Context::new(&cli, Flags::new(matches));
    // clap's own conflict check would also refuse the global options with a
    // subcommand, so practice's options are checked here.
    if cli.command.is_some() && cli.practice.chooses_something() {
        anyhow::bail!(
            "--persona、--scenario、--difficulty、--exam、--seed、--resume、--retry 写在子命令之前只用于练习；\
             请写在子命令后面，或用 peilian practice …"
        );
    }
    match cli.command {
        None => practice_cmd::run(&ctx, cli.practice),
        Some(Command::Practice(cmd)) => practice_cmd::run(&ctx, cmd.args()),
        Some(Command::Persona(cmd)) => persona_cmd::run(&ctx, cmd),
        Some(Command::Rubric(RubricCmd::Validate { paths, json })) => {
            rubric_cmd::validate(&paths, json)
        }
        Some(Command::Rubric(RubricCmd::Show { path, json })) => {
            rubric_cmd::show(&ctx, path.as_deref(), json)
        }
        Some(Command::Rubric(RubricCmd::New { id, dir, force })) => {
            rubric_cmd::new(&id, &dir, force)
        }
        Some(Command::Rubric(RubricCmd::Try { lines, json })) => {
            rubric_cmd::try_lines(&ctx, &lines, json)
        }
        Some(Command::Rubric(RubricCmd::Calibrate { dir, json })) => {
            rubric_cmd::calibrate(&ctx, &dir, json)
        }
        Some(Command::Rubric(RubricCmd::Evaluate {
            files,
            errors,
            json,
        })) => rubric_cmd::evaluate(&files, errors, json),
        Some(Command::Analyze { json }) => analyze::run(&ctx, json),
        Some(Command::Llm(cmd)) => llm_cmd::run(&ctx, cmd),
        Some(Command::Run(args)) => run_cmd::run(&ctx, args),
        Some(Command::Score(args)) => score_cmd::run(&ctx, args),
        Some(Command::Assess(args)) => assess_cmd::run(&ctx, args),
        Some(Command::History(args)) => history_cmd::run(&ctx, args),
        Some(Command::Serve(args)) => serve_cmd::run(&ctx, args),
        Some(Command::Config(cmd)) => config_cmd::run(&ctx, cmd),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Man) => completions::man(),
        Some(Command::Schema { what }) => {
            let schema = match what {
                SchemaKind::Persona => persona_schema(),
                SchemaKind::Rubric => rubric_schema(),
            };
            let mut out = io::stdout().lock();
            writeln!(out, "{schema}")?;
            Ok(0)
        }
    }
}

/// Shared settings of one invocation; loads the config file, rubric and personas on
/// demand, so that a broken config file does not stop `peilian config path` from
/// saying where it is. Every setting is resolved here through [`crate::resolve`], for
/// the commands and for `config show` alike.
pub(crate) struct Context {
    persona_dir: Option<PathBuf>,
    rubric_path: Option<PathBuf>,
    flags: Flags,
    pub(crate) dirs: Dirs,
    /// The config file in force and why: `--config`, `PEILIAN_CONFIG` or the default.
    pub(crate) config_file: Sourced<PathBuf>,
    config: OnceCell<Config>,
}

impl Context {
    fn new(cli: &Cli, flags: Flags) -> Self {
        let mut dirs = Dirs::locate();
        let config_file = resolve::first(
            cli.config
                .clone()
                .filter(|_| flags.given("config"))
                .map(|p| (p, "--config")),
            resolve::env_first(&resolve::process_env, &[crate::config::CONFIG_ENV])
                .map(|s| s.map(PathBuf::from)),
            None,
        )
        .unwrap_or(Sourced::new(dirs.config_file.clone(), Origin::Default));
        dirs.config_file = config_file.value.clone();
        Self {
            persona_dir: cli.persona_dir.clone(),
            rubric_path: cli.rubric.clone(),
            flags,
            dirs,
            config_file,
            config: OnceCell::new(),
        }
    }

    /// The config file's settings (empty when there is no file).
    pub(crate) fn config(&self) -> anyhow::Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let c = Config::load(&self.dirs.config_file)?;
        Ok(self.config.get_or_init(|| c))
    }

    /// Where practice sessions are kept: `--sessions-dir`, else `PEILIAN_SESSIONS_DIR`,
    /// else the config file, else the system's data dir (XDG on Linux).
    pub(crate) fn sessions_dir(&self, given: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
        Ok(self.sessions_dir_sourced(given)?.value)
    }

    /// [`Context::sessions_dir`] with its origin.
    pub(crate) fn sessions_dir_sourced(
        &self,
        given: &Option<PathBuf>,
    ) -> anyhow::Result<Sourced<PathBuf>> {
        Ok(self
            .path_setting(
                given,
                "sessions_dir",
                "--sessions-dir",
                SESSIONS_DIR_ENV,
                |c| (&c.sessions_dir, "sessions_dir"),
            )?
            .unwrap_or(Sourced::new(self.dirs.sessions_dir(), Origin::Default)))
    }

    /// The trainee's name: `--trainee`, else `PEILIAN_TRAINEE`, else the config file.
    pub(crate) fn trainee(&self, given: &Option<String>) -> anyhow::Result<Option<String>> {
        Ok(self.trainee_sourced(given)?.map(|t| t.value))
    }

    /// [`Context::trainee`] with its origin; a blank name is no name.
    pub(crate) fn trainee_sourced(
        &self,
        given: &Option<String>,
    ) -> anyhow::Result<Option<Sourced<String>>> {
        let flag = given
            .clone()
            .filter(|_| self.flags.given("trainee"))
            .map(|n| (n, "--trainee"));
        let env = resolve::env_first(&resolve::process_env, &[TRAINEE_ENV]);
        let found = match (flag, env) {
            (None, None) => resolve::first(
                None,
                None,
                self.config()?.trainee.clone().map(|n| (n, "trainee")),
            ),
            (flag, env) => resolve::first(flag, env, None),
        };
        Ok(found.filter(|n| !n.value.trim().is_empty()))
    }

    /// The persona folder in force, if any.
    pub(crate) fn persona_dir(&self) -> anyhow::Result<Option<Sourced<PathBuf>>> {
        self.path_setting(
            &self.persona_dir,
            "persona_dir",
            "--persona-dir",
            PERSONA_DIR_ENV,
            |c| (&c.persona_dir, "persona_dir"),
        )
    }

    /// The rubric file in force, if not the built-in one.
    pub(crate) fn rubric_path(&self) -> anyhow::Result<Option<Sourced<PathBuf>>> {
        self.path_setting(&self.rubric_path, "rubric", "--rubric", RUBRIC_ENV, |c| {
            (&c.rubric, "rubric")
        })
    }

    /// A path setting with a flag (`id` is clap's name for it), an environment variable
    /// and a config key. The config file is read only when neither flag nor variable is
    /// set, so a broken file does not stop a command told where to look.
    fn path_setting(
        &self,
        given: &Option<PathBuf>,
        id: &str,
        flag: &'static str,
        env: &'static str,
        pick: impl Fn(&Config) -> (&Option<PathBuf>, &'static str),
    ) -> anyhow::Result<Option<Sourced<PathBuf>>> {
        let flag = given
            .clone()
            .filter(|_| self.flags.given(id))
            .map(|p| (p, flag));
        let env = resolve::env_first(&resolve::process_env, &[env]).map(|s| s.map(PathBuf::from));
        if flag.is_some() || env.is_some() {
            return Ok(resolve::first(flag, env, None));
        }
        let (value, key) = pick(self.config()?);
        Ok(resolve::first(None, None, value.clone().map(|p| (p, key))))
    }

    /// The rubric in force. A process uses one rubric for its whole life, so a loaded
    /// file is kept for it (leaked) rather than threaded through every caller.
    pub(crate) fn analyser(&self) -> anyhow::Result<&'static Analyser> {
        Ok(match self.rubric_path()? {
            None => rubric::default_rubric(),
            Some(p) => Box::leak(Box::new(
                rubric::load_rubric_file(&p.value)
                    .map_err(|d| anyhow::anyhow!("规则文件有错误：\n{d}"))?,
            )),
        })
    }

    /// The built-in personas and the persona folder's. A file of the folder with
    /// errors is reported on stderr and left out; the rest are used.
    pub(crate) fn catalog(&self, rubric: &Analyser) -> anyhow::Result<Catalog> {
        let dir = self.persona_dir()?.map(|d| d.value);
        let catalog = Catalog::load(dir.as_deref(), rubric)
            .map_err(|d| anyhow::anyhow!("客户画像有错误：\n{d}"))
            .with_context(|| match &dir {
                Some(dir) => format!("加载客户画像目录 {}", dir.display()),
                None => "加载内置客户画像".to_string(),
            })?;
        if !catalog.skipped().is_empty() {
            report_skipped(&catalog);
        }
        Ok(catalog)
    }
}

/// Tell the user which persona files were left out and why, on stderr (stdout may be
/// JSON a script reads). A closed stderr is no reason to stop the command.
fn report_skipped(catalog: &Catalog) {
    let mut err = io::stderr().lock();
    for d in catalog.skipped() {
        let _ = writeln!(err, "{}", crate::ui::sanitize(&d.to_string()));
    }
    let _ = writeln!(
        err,
        "已跳过 {} 个有问题的客户画像文件，内置客户和其他文件照常可用；用 `peilian persona validate 目录` 查看全部问题。",
        catalog.skipped_files()
    );
}

/// Diagnostics as `--json` prints them: `[{"file", "line", "column", "field", "message"}]`.
pub(crate) fn problems_json(problems: &[crate::diag::Diagnostic]) -> serde_json::Value {
    problems
        .iter()
        .map(|d| {
            serde_json::json!({"file": d.file, "line": d.line, "column": d.column,
                               "field": d.field, "message": d.message})
        })
        .collect()
}

/// A `--json` report on standard output, pretty-printed, one document.
pub(crate) fn print_json(doc: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(doc)?
    )?;
    Ok(())
}

/// A commented starter file (`persona new`, `rubric new`) and the schema beside it.
pub(crate) struct Starter {
    /// `persona` or `rubric`: the command that validates it, and the schema's name.
    pub what: &'static str,
    /// The template; `{id}` and `{file}` are replaced.
    pub template: &'static str,
    pub schema: fn() -> String,
    /// An id to show when the given one is not valid.
    pub example_id: &'static str,
}

impl Starter {
    /// Write `ID.toml` and `WHAT.schema.json` into `dir`, and say what to do next.
    pub(crate) fn write(&self, id: &str, dir: &std::path::Path, force: bool) -> anyhow::Result<u8> {
        use anyhow::Context as _;
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if id.is_empty() || !id.chars().all(valid) {
            anyhow::bail!(
                "编号「{id}」不合法：只能用小写字母、数字和 -（例如 {}）",
                self.example_id
            );
        }
        let path = dir.join(format!("{id}.toml"));
        if path.exists() && !force {
            anyhow::bail!("{} 已存在；用 --force 覆盖，或换一个编号", path.display());
        }
        let text = (self.template)
            .replace("{id}", id)
            .replace("{file}", &path.display().to_string());
        crate::files::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("写入 {}", path.display()))?;
        // The starter's first line points editors at this file.
        let schema = dir.join(format!("{}.schema.json", self.what));
        crate::files::write_atomic(&schema, format!("{}\n", (self.schema)()).as_bytes())
            .with_context(|| format!("写入 {}", schema.display()))?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "已生成 {} 和 {}", path.display(), schema.display())?;
        writeln!(
            out,
            "下一步：编辑它，然后运行 `peilian {} validate {}`",
            self.what,
            path.display()
        )?;
        Ok(0)
    }
}

/// The JSON Schema of persona files, as committed in `personas/persona.schema.json`.
pub fn persona_schema() -> String {
    let schema = schemars::schema_for!(crate::persona::Persona);
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
}

/// The JSON Schema of rubric files, as committed in `rubrics/rubric.schema.json`.
pub fn rubric_schema() -> String {
    let schema = schemars::schema_for!(crate::rubric::Rubric);
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
}

/// Whether an error is a closed stdout (`peilian … | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = c
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| {
                c.downcast_ref::<serde_json::Error>()
                    .and_then(|e| e.io_error_kind())
            });
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// A Chinese line for clap's refusal of a command line, shown before clap's own
/// message (English, with the usage): a trainee who typed `peilian 感情用事` reads what
/// to type instead. `None` for help and version, which are no errors.
pub fn parse_error_hint(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let get = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let clean = |s: String| crate::ui::sanitize(&s).into_owned();
    let arg = clean(get(ContextKind::InvalidArg));
    Some(match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::InvalidSubcommand => {
            let word = clean(get(ContextKind::InvalidSubcommand));
            // A typo of a subcommand (`peilian scroe`) is not a customer's name.
            let near: Vec<String> = match e.get(ContextKind::SuggestedSubcommand) {
                Some(ContextValue::String(s)) => vec![clean(s.clone())],
                Some(ContextValue::Strings(v)) => v.iter().map(|s| clean(s.clone())).collect(),
                _ => Vec::new(),
            };
            match near.as_slice() {
                [] => {}
                [one] => {
                    return Some(format!(
                        "没有「{word}」这个子命令，是不是想用 peilian {one}？"
                    ));
                }
                many => {
                    return Some(format!(
                        "没有「{word}」这个子命令，是不是想用这几个之一：{}？",
                        many.join("、")
                    ));
                }
            }
            format!(
                "没有「{word}」这个子命令（子命令见 peilian --help）。要和某类客户练习，请用 \
                 peilian practice {word} 或 peilian --persona {word}"
            )
        }
        ErrorKind::UnknownArgument => {
            format!("不认识的参数「{arg}」（这个命令能用的参数见它的 --help）")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = clean(get(ContextKind::InvalidValue));
            let valid = clean(get(ContextKind::ValidValue));
            let mut s = format!("参数 {arg} 的值「{value}」不对");
            if !valid.is_empty() {
                s.push_str(&format!("，可以用：{valid}"));
            }
            s
        }
        ErrorKind::MissingRequiredArgument => format!("缺少参数 {arg}"),
        ErrorKind::ArgumentConflict => {
            let other = clean(get(ContextKind::PriorArg));
            format!("参数 {arg} 和 {other} 不能一起用")
        }
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::TooFewValues => {
            format!("参数 {arg} 的值个数不对")
        }
        _ => "命令行写得不对".to_string(),
    })
}

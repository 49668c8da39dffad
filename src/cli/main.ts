#!/usr/bin/env node
/**
 * The nnspec command line. Every subcommand shares one pipeline (../compile.ts) and one
 * exit-code policy: 0 clean, 1 problems in the inputs, 2 usage or I/O failure. Subcommands
 * are imported when run, so each pays only for the modules it uses.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_USAGE, UsageError } from './exit-codes.js';
import { colorOption, inputShapeOption, levelOption, noColorOption, phaseOption, stageOption } from './options.js';

/** The options every command that compiles a net takes, and the colour switches. */
const netOptions = () => [phaseOption(), stageOption(), levelOption(), inputShapeOption()];
const colorOptions = () => [colorOption(), noColorOption()];

/** commander's Command with a way to add a group of options in a chain. */
class NnspecCommand extends Command {
  addOptions(options: Option[]): this {
    for (const option of options) this.addOption(option);
    return this;
  }

  override createCommand(name?: string): NnspecCommand {
    return new NnspecCommand(name);
  }
}

function program(): NnspecCommand {
  const cmd = new NnspecCommand('nnspec')
    .description('A declarative model-spec compiler: nnspec and Caffe prototxt files, checked and converted exactly.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  cmd
    .command('check')
    .description('Check model files (nnspec, or Caffe V0/V1/V2 prototxt and solver files) and print every problem.')
    .argument('<files...>', 'files or directories')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['stylish', 'json']).default('stylish'))
    .addOptions(netOptions())
    .addOption(new Option('--max-warnings <n>', 'fail when there are more warnings than this').argParser(Number))
    .addOptions(colorOptions())
    .action(async (files: string[], flags) => {
      const { runCheck } = await import('./check.js');
      process.exitCode = await runCheck(files, flags);
    });

  cmd
    .command('compile')
    .description('Compile a model file and print its typed IR.')
    .argument('<file>', 'an nnspec or Caffe file')
    .addOption(new Option('--emit <what>', 'what to print').choices(['ir']).default('ir'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .option('--compact', 'one line of JSON')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runCompile } = await import('./compile.js');
      process.exitCode = await runCompile(file, flags);
    });

  cmd
    .command('lint')
    .description('Check model files against the rule catalogue (docs/rules.md): the lessons of how CNNs are trained, for people and CI.')
    .argument('<files...>', 'files, directories or quoted glob patterns')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['stylish', 'json', 'sarif', 'github']).default('stylish'))
    .option('-c, --config <file>', `use this configuration instead of the nearest nnspec.config.json`)
    .addOption(new Option('--rule <id:level>', 'set a rule to off, warn or error (repeatable)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--target <framework>', 'check portability to this framework').choices(['pytorch', 'caffe', 'tfjs']))
    .option('--fix', 'apply the fixes that cannot change what the model computes')
    .addOption(new Option('--max-warnings <n>', 'fail when there are more warnings than this').argParser(Number))
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (files: string[], flags) => {
      const { runLint } = await import('./lint.js');
      process.exitCode = await runLint(files, flags);
    });

  cmd
    .command('summary')
    .description('Print each layer with its output shape, parameters, MACs and receptive field, and the totals.')
    .argument('<file>', 'an nnspec or Caffe file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'markdown', 'csv', 'json']).default('table'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runSummary } = await import('./summary.js');
      process.exitCode = await runSummary(file, flags);
    });

  cmd
    .command('convert')
    .description('Convert a model file to PyTorch, Caffe or nnspec, computing exactly the same function (weights too, with --weights).')
    .argument('<file>', 'an nnspec or Caffe file')
    .addOption(new Option('--to <target>', 'the output language').choices(['pytorch', 'caffe', 'nnspec']).makeOptionMandatory())
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .option('--weights <file>', 'a .caffemodel whose blobs are converted too (written next to the output as .safetensors)')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runConvert } = await import('./convert.js');
      process.exitCode = await runConvert(file, flags);
    });

  cmd
    .command('train')
    .description('Train the network on TensorFlow.js as its train section (or Caffe solver settings) says; with --out, write metrics and the trained weights.')
    .argument('<file>', 'an nnspec or Caffe file')
    .option('--data <source>', "'synthetic' (default), 'synthetic:N', or a dataset folder: MNIST IDX, CIFAR-10 binary, x.npy + y.npy, one folder of images per class")
    .option('-o, --out <dir>', 'write metrics.csv, metrics.json, curves.svg, weights.safetensors and best.safetensors (PyTorch layout), and a resumable checkpoint/, into this folder')
    .option('--epochs <n>', 'train for this many epochs (overrides the spec)')
    .option('--iterations <n>', 'train for this many updates (overrides the spec and --epochs)')
    .option('--batch-size <n>', "examples per update (default: the spec's, else 64)")
    .option('--lr <x>', 'base learning rate (overrides the spec)')
    .option('--seed <n>', "seed of the initial weights, data order, augmentation and dropout (default: the spec's, else 0)")
    .option('--val-split <fraction>', "fraction of the data held out for validation (default: the spec's, else 0.1; 0 for none)")
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .option('--resume <dir>', "continue the run whose --out folder this is (its checkpoint/): same data, seed, batch size and split; --epochs/--iterations may extend it; writes into that folder unless --out is given")
    .option('--solver <file>', "a Caffe solver.prototxt whose settings replace the spec's train section (its net is ignored); flags still override it")
    .option('--workers <n>', 'worker threads for augmentation (default: 1 when the spec augments and the machine has more than one CPU, else 0)')
    .option('--chart', 'draw the loss and accuracy curves in the terminal at the end even when stdout is not a terminal')
    .option('--ensemble <n>', "train N models from seeds seed, seed+1, … and report each one's and their averaged predictions' validation accuracy (writes ensemble.json with --out)")
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runTrain } = await import('./train.js');
      process.exitCode = await runTrain(file, flags);
    });

  cmd
    .command('doctor')
    .description('Run the training recipe on the net: initial loss ≈ log(C), overfit a small sample, learning-rate range test, coarse and fine search, read the curves; stops at the first step that fails and says what to do.')
    .argument('<file>', 'an nnspec or Caffe file')
    .option('--data <source>', "'synthetic:N' (default synthetic:1000), or a dataset folder: MNIST IDX, CIFAR-10 binary, x.npy + y.npy, one folder of images per class")
    .option('--report <dir>', 'write report.md, a self-contained report.html and train-section.nnspec (the updated train section) into this folder')
    .option('--quick', 'smaller sample, shorter range test, 4 trials, 6-epoch fine runs')
    .option('--max-minutes <n>', 'start no search run after this many minutes (the first run of each search still completes)')
    .option('--trials <n>', 'coarse-search trials (the fine search runs half as many; default 8, 4 with --quick)')
    .option('--epochs <n>', 'epochs of each fine-search run (coarse runs: a third; default 10, 6 with --quick)')
    .option('--batch-size <n>', "examples per update (default: the spec's, else 32)")
    .option('--lr <x>', "start from this learning rate instead of the spec's")
    .option('--seed <n>', "seed of the initial weights, data split and order (default: the spec's, else 0)")
    .option('--val-split <fraction>', "fraction held out for validation (default: the spec's, else 0.2)")
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runDoctor } = await import('./doctor.js');
      process.exitCode = await runDoctor(file, flags);
    });

  cmd
    .command('search')
    .description("Hyper-parameter search over the train settings (random, or --grid) from the spec's search section or --param flags; with --out it resumes and writes trials.csv, trials.json and report.html.")
    .argument('<file>', 'an nnspec or Caffe file')
    .option('--data <source>', "'synthetic' (default), 'synthetic:N', or a dataset folder (as for train)")
    .option('-o, --out <dir>', 'the search folder: one file per finished trial (a rerun skips them), trials.csv, trials.json, report.html')
    .option('--param <name=range>', "a setting to vary, replacing the spec's (repeatable): lr=log:1e-4:1e-1, weight_decay=log:1e-6:1e-2, momentum=0.8:0.99, batch_size=choice:32,64, dropout:LAYER=0.1:0.5", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--trials <n>', "trials in all, finished ones included (default: the spec's, else 10)")
    .option('--max-minutes <m>', 'start no new trial after this many minutes')
    .option('--grid', 'grid search instead of random search')
    .option('--grid-points <n>', 'grid: values per continuous setting (default: as many as the trial budget allows)')
    .option('--epochs <n>', "length of each trial in epochs (default: the spec's search section, else 1)")
    .option('--iterations <n>', 'length of each trial in updates (overrides --epochs)')
    .option('--batch-size <n>', "examples per update when not searched (default: the spec's, else 64)")
    .option('--metric <name>', 'what ranks the trials: val_top1 (default), val_top5, val_loss, train_top1, train_loss')
    .option('--seed <n>', "seed of the trial list and of every trial's training (default: the spec's, else 0)")
    .option('--val-split <fraction>', "fraction of the data held out for validation (default: the spec's, else 0.1)")
    .option('--no-median-stop', 'never stop a trial for being worse than the median of the finished ones')
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runSearchCommand } = await import('./search.js');
      process.exitCode = await runSearchCommand(file, flags);
    });

  cmd
    .command('eval')
    .description('Evaluate trained weights on a dataset: loss and top-1/top-5 accuracy, computed as `nnspec train` computes its validation metrics.')
    .argument('<file>', 'an nnspec or Caffe file')
    .requiredOption('--weights <file>', 'trained weights: a .safetensors in PyTorch layout (nnspec train --out, nnspec convert --weights) or a Caffe .caffemodel')
    .requiredOption('--data <source>', "'synthetic:N' or a dataset folder: MNIST IDX, CIFAR-10 binary, x.npy + y.npy, one folder of images per class")
    .addOption(new Option('--split <part>', 'the part of a dataset with a fixed split (default: test; train with --val-split)').choices(['train', 'test']))
    .option('--val-split <fraction>', 'evaluate only the validation part that `nnspec train --val-split F --seed S` held out')
    .option('--batch-size <n>', 'examples per forward pass (default 64)')
    .option('--seed <n>', "the seed of the validation split and of synthetic data (default: the spec's, else 0)")
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runEval } = await import('./eval.js');
      process.exitCode = await runEval(file, flags);
    });

  cmd
    .command('predict')
    .description('Classify images (PNG/JPEG) or .npy arrays with trained weights: the top classes of each, with their probabilities.')
    .argument('<file>', 'an nnspec or Caffe file')
    .argument('<inputs...>', 'PNG/JPEG images (shorter side resized, then centre-cropped to the input size) or .npy arrays [C,H,W] or [N,C,H,W] of pixel values')
    .requiredOption('--weights <file>', 'trained weights: a .safetensors in PyTorch layout (nnspec train --out, nnspec convert --weights) or a Caffe .caffemodel')
    .option('-k, --top <k>', 'classes shown per input (default 5)')
    .option('--labels <file>', "class names, one per line in class order (like Caffe's synset_words.txt)")
    .option('--resize <n>', "resize an image's shorter side to N before the centre crop (default: the input's size; 256 evaluates a 224×224 ImageNet net as torchvision does)")
    .option('--bgr', "swap an image's red and blue channels (Caffe's ImageNet models were trained on BGR images)")
    .option('--batch-size <n>', 'examples per forward pass (default 32)')
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, inputs: string[], flags) => {
      const { runPredict } = await import('./predict.js');
      process.exitCode = await runPredict(file, inputs, flags);
    });

  cmd
    .command('init-report')
    .description("Push one batch through the freshly initialised network and report each layer's activation mean, std, saturated and dead fractions and gradient norms, flagging collapse, saturation and explosion; --init compares initialisations side by side.")
    .argument('<file>', 'an nnspec or Caffe file')
    .option('--init <list>', 'weight initialisations for every conv/fc layer, compared on the same batch: spec (as declared), xavier, kaiming, lecun, glorot, orthogonal, torch_default, gaussian:STD, uniform:A, uniform:MIN:MAX (default: spec)')
    .option('--batch <n>', 'examples in the batch (default: 64)')
    .option('--data <source>', "real inputs instead of random N(0, 1) ones: 'synthetic', 'synthetic:N', or a dataset folder, as for train")
    .option('--seed <n>', "seed of the initial weights and of the random batch (default: the spec's, else 0)")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--html <file>', 'also write a self-contained HTML report with a histogram per layer (atomically)')
    .addOption(new Option('--backend <name>', 'force a TensorFlow.js backend (default: the first that starts of node-gpu, node, wasm, cpu)').choices(['node-gpu', 'node', 'wasm', 'cpu']))
    .option('--threads <n>', 'wasm threads (default: the CPUs available, at most 8)')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runInitReport } = await import('./init-report.js');
      process.exitCode = await runInitReport(file, flags);
    });

  cmd
    .command('fmt')
    .description('Format nnspec and Caffe prototxt files in place (atomically), as the prettier plugin does.')
    .argument('<files...>', 'files, directories or quoted glob patterns')
    .option('--check', 'write nothing; list the files that would change and exit 1 if any would')
    .option('--stdout', 'print the formatted text instead of writing the files')
    .addOptions(colorOptions())
    .action(async (files: string[], flags) => {
      const { runFmt } = await import('./fmt.js');
      process.exitCode = await runFmt(files, flags);
    });

  cmd
    .command('graph')
    .description('Draw the network: one node per layer, edges labelled with blob shapes (DOT, SVG, or a self-contained HTML page with the summary table).')
    .argument('<file>', 'an nnspec or Caffe file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['dot', 'svg', 'html']).default('dot'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .option('--collapse', 'draw each block instance (nnspec block, Caffe name scope) as one node')
    .addOptions(netOptions())
    .addOptions(colorOptions())
    .action(async (file: string, flags) => {
      const { runGraph } = await import('./graph.js');
      process.exitCode = await runGraph(file, flags);
    });

  cmd
    .command('lsp')
    .description('Run the language server (diagnostics, hover with shapes and receptive fields, formatting) over stdio, for editors.')
    .option('--stdio', 'talk JSON-RPC over stdin/stdout (the default and only transport)')
    .action(async () => {
      const { runLsp } = await import('./lsp.js');
      process.exitCode = await runLsp();
    });

  return cmd;
}

async function main(argv: string[]): Promise<void> {
  // `nnspec summary big.prototxt | head`: the reader leaving is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; help shown because of a mistake (no command) is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`nnspec: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`nnspec: internal error: ${message}\nThis is a bug in nnspec; please report it with the input that caused it.\n`);
    if (process.env.NNSPEC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = EXIT_USAGE;
  }
}

await main(process.argv);

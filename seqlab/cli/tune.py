"""``seqlab tune``: search training recipes with Optuna (`seqlab.tune`)."""

import click

from seqlab.cli.options import Integer, run_config, this_command


@click.command("tune")
@click.argument("config", metavar="CONFIG")
@click.option("--trials", type=Integer(1), required=True,
              help="trials to add to the study (trials already run are kept)")
@click.option("--task", type=click.Choice(["tagger", "lm"]), default="tagger",
              show_default=True, help="what CONFIG trains")
@click.option("--space", metavar="FILE",
              help="a TOML search space (a table per config key: low, high, log, step, or "
                   "choices); default: seqlab.tune.SPACES, the training recipe")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a config key of every trial (repeatable)")
@click.option("--storage", metavar="FILE",
              help="the study's SQLite file (default: OUTPUT/tune/study.db)")
@click.option("--study", "study_name", metavar="NAME",
              help="the study's name in the file (default: the output folder's)")
@click.option("--seed", type=Integer(0), default=0, show_default=True,
              help="the sampler's seed")
@click.option("--quiet", is_flag=True, help="one line per trial only")
def tune(config, trials, task, space, overrides, storage, study_name, seed, quiet):
    """Search training recipes on dev with Optuna; a stopped search resumes.

    Each trial trains CONFIG with the space's keys changed, in
    OUTPUT/tune/trial-*, scored by its best dev score; trials falling
    behind the median at an epoch are pruned. Needs `pip install
    'seqlab[tune]'`.
    """
    from seqlab import tune as tuning

    base = run_config(config, overrides, task)
    values = None
    if space:
        values = tuning.read_space(space)
        tuning.check_space(values, base, where=space)
    study = tuning.tune(base, trials, task=task, space=values, storage=storage,
                        study_name=study_name, verbose=1 if quiet else 2, seed=seed)
    print(tuning.summary(study))
    print(f"Check a recipe on every dataset before making it a default: python "
          f"benchmarks/suite.py --set KEY=VALUE ... (benchmarks/README.md); train it: "
          f"{this_command()} train {config} --set KEY=VALUE ...")

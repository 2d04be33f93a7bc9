"""Copy a trained run into the package as a pretrained model, with its model card.

    python scripts/package_pretrained.py --sweep runs/pretrained-walking --seed 0 \
        --name walking --command "lstm-har train ... --seeds 0,1,2,3,4"

Takes ``SWEEP/seed_N`` (the shipped weights) and ``SWEEP/summary.json`` (mean ± std over the
sweep), exports ONNX beside the weights, and writes MODEL_CARD.md from those files alone, so
every figure in the card comes from the command it names. ``make pretrained`` runs it.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from lstm_har._files import atomic_write, read_json, write_json
from lstm_har.inference.export import export
from lstm_har.models import Classifier

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lstm_har" / "pretrained"

WALKING_NOTE = (
    "WALKING against the five other activities (walking upstairs, walking downstairs, sitting, "
    "standing, lying). Stairs count as *not walking*; a moving-vs-static reading of the task "
    "would give different numbers."
)

ORIENTATION_FIXED = """\
* Sensor orientation matters: the model saw the Galaxy S II's axes in the volunteers' belt
  position; a phone worn upside down or sideways will be misread."""
ORIENTATION_CALIBRATED = """\
* Calibrated per recording (`--calibrate`, README "Calibration"): the model takes the phone's
  upright pose from the recording's own movement (about 8 s of walking; until then, or in a
  recording without any, the training subjects' median) and reads a phone whose y axis
  points the other way. Other orientations (upside down, sideways) are still misread."""


def card(name: str, meta: dict, metrics: dict, summary: dict, command: str, seed: int) -> str:
    test = metrics["test"]
    subjects = test["per_subject"]
    worst = min(subjects, key=subjects.get)
    rows = "\n".join(
        f"| {key.replace('_', ' ')} | {100 * summary[f'test_{key}']['mean']:.2f} ± "
        f"{100 * summary[f'test_{key}']['std']:.2f} | {100 * test[key]:.2f} |"
        for key in ("accuracy", "balanced_accuracy", "macro_f1")
    )
    per_subject = ", ".join(
        f"{s}: {100 * a:.1f}" for s, a in sorted(subjects.items(), key=lambda kv: int(kv[0]))
    )
    task = WALKING_NOTE if meta["task"] == "walking" else "the six UCI HAR activities."
    cfg = meta["config"]
    seeds = ", ".join(map(str, summary["seeds"]))
    orientation = ORIENTATION_CALIBRATED if meta.get("upright_default") else ORIENTATION_FIXED
    return f"""# Pretrained model: `{name}`

**Model** `{meta["model"]}` (hidden {meta["hidden_size"]}), classes {", ".join(meta["classes"])}.
**Task**: {task}

## How it was made

```bash
{command}
```

These are the weights of seed {seed} of that sweep (config in `model.json`). Data: UCI HAR
windows rebuilt offline from the packaged HAPT recordings (see the project README), official
split: trained on 21 subjects minus {cfg["val_subjects"]} held-out validation subjects
({", ".join(map(str, metrics["validation_subjects"]))}) that pick the best epoch; tested once
on the 9 official test subjects.

## Test metrics (official test subjects, {test["n"]} windows)

| metric (%) | mean ± std over seeds {seeds} | this model (seed {seed}) |
|---|---|---|
{rows}

Majority-class baseline: {100 * metrics["majority_baseline"]["accuracy"]:.2f} %.
Per test subject accuracy (%): {per_subject}. Worst: subject {worst}
({100 * subjects[worst]:.1f} %): expect this spread across people.

## Intended use and limitations

* Input: a phone **worn on the waist** (belt), as in UCI HAR, recording accelerometer (total
  acceleration including gravity) and gyroscope at or resampled to **50 Hz**. Other
  placements (pocket, hand, wrist) and other devices are outside what it was trained on.
{orientation}
* 30 volunteers aged 19-48 in a lab protocol; free-living behaviour, other ages and
  mobility impairments are not represented. Not a medical device.
* One label per 2.56 s window (64-sample hop): transitions between activities and
  activities outside the six classes get one of the six labels anyway.
"""


def add_hmm(folder: Path) -> None:
    """Give a packaged model made before smoothing its HMM: the transitions counted over the
    same fit subjects' window labels that ``lstm-har train`` now counts (weights untouched)."""
    from lstm_har.checkpoint import read_spec
    from lstm_har.config import TrainConfig
    from lstm_har.training.runs import spec_for, split_task

    spec = read_spec(folder)
    fit_data = split_task(TrainConfig.from_dict(spec.config))[0]
    hmm = spec_for(TrainConfig.from_dict(spec.config), fit_data)
    meta = read_json(folder / "model.json")
    meta |= {"transitions": [list(r) for r in hmm.transitions or ()],
             "class_prior": list(hmm.class_prior or ())}  # fmt: skip
    write_json(folder / "model.json", meta)
    print(f"{folder / 'model.json'}: transitions and class prior added")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hmm-only", action="store_true",
                        help="only add the smoothing HMM to the packaged model --name")  # fmt: skip
    parser.add_argument("--sweep", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", required=True, choices=["walking", "activity"])
    parser.add_argument("--command", required=True, help="the command that made the sweep")
    args = parser.parse_args()
    if args.hmm_only:
        add_hmm(PACKAGE / args.name)
        return
    if args.sweep is None:
        parser.error("--sweep is required (unless --hmm-only)")
    run = args.sweep / f"seed_{args.seed}"
    model = Classifier.load(run)
    out = PACKAGE / args.name
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "model.json"):
        shutil.copyfile(run / name, out / name)
    meta = read_json(out / "model.json") | {"trained_with": args.command, "seed": args.seed}
    write_json(out / "model.json", meta)
    export(model, out, "onnx")
    metrics, summary = read_json(run / "metrics.json"), read_json(args.sweep / "summary.json")
    text = card(args.name, meta, metrics, summary, args.command, args.seed)
    atomic_write(out / "MODEL_CARD.md", text.encode())
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    print(json.dumps({"wrote": str(out), "bytes": sizes}, indent=1))


if __name__ == "__main__":
    main()

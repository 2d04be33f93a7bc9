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
import statistics
from pathlib import Path

from lstm_har._files import atomic_write, read_json, write_json
from lstm_har.checkpoint import weights_sha256
from lstm_har.inference.export import export
from lstm_har.models import Classifier
from lstm_har.signal import SAMPLE_RATE_HZ, STEP

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lstm_har" / "pretrained"

WALKING_NOTE = (
    "WALKING against the five other activities (walking upstairs, walking downstairs, sitting, "
    "standing, lying). Stairs count as *not walking*; a moving-vs-static reading of the task "
    "would give different numbers."
)


def _rows(summary: dict, split: str, metrics: dict) -> str:
    return "\n".join(
        f"| {key.replace('_', ' ')} | {100 * summary[f'{split}_{key}']['mean']:.2f} ± "
        f"{100 * summary[f'{split}_{key}']['std']:.2f} | {100 * metrics[split][key]:.2f} |"
        for key in ("accuracy", "balanced_accuracy", "macro_f1")
    )


def _per_subject(result: dict) -> str:
    subjects = result["per_subject"]
    return ", ".join(
        f"{s}: {100 * a:.1f}" for s, a in sorted(subjects.items(), key=lambda kv: int(kv[0]))
    )


def _walking_recall(sweep: Path, seeds: list[int], split: str) -> str:
    values = [read_json(sweep / f"seed_{s}" / "metrics.json")[split]["recall"]["WALKING"]
              for s in seeds]  # fmt: skip
    return f"{100 * statistics.fmean(values):.1f} ± {100 * statistics.stdev(values):.1f} %"


def card(name: str, meta: dict, metrics: dict, summary: dict, command: str, seed: int,
         sweep: Path, orientations: str) -> str:  # fmt: skip
    test, external = metrics["test"], metrics["test_motionsense"]
    task = WALKING_NOTE if meta["task"] == "walking" else "the six UCI HAR activities."
    if meta.get("trained_classes"):
        task += (" The network scores the six activities and WALKING is read against the sum "
                 "of the other five (`--fine-labels`), so stairs are learnt apart.")  # fmt: skip
    bout = meta.get("min_bout", 1)
    bout_s = bout * STEP / SAMPLE_RATE_HZ  # each window 1.28 s on from the last
    smoothing = (f"HMM emission weight {meta['emission_weight']:g}, shortest bout between two "
                 f"others {bout} window{'s' if bout > 1 else ''} ({bout_s:.1f} s; both "
                 "fitted on validation)")  # fmt: skip
    lean = ("not used. That costs accuracy against a model for one fixed orientation on UCI "
            "HAR's own phone (README \"Any orientation\").")  # fmt: skip
    if meta.get("posture_odds"):
        smoothing += (f"; before it, each window's sitting/standing odds are re-weighed, by at "
                      f"most e^{meta['posture_odds']:g}, by the recording's own two postures "
                      "(`signal.posture`)")  # fmt: skip
        lean = ("not used by the network. Within one recording the timeline reads it: the "
                "windows' gravity directions form the person's sitting and standing clusters, "
                "which may move an unsure window's odds by a bounded factor. That needs the "
                "whole recording (not live streams), both postures in it, and the phone kept "
                "the same way throughout; a recording with one posture is left as the network "
                "says, within that bound (README \"Smoothing\").")  # fmt: skip
    short = ("" if bout == 1 else f": no bout between two others is shorter than {bout} windows "
             f"({bout_s:.0f} s), so a shorter walk or stop is told as its neighbours; "
             "`--no-smooth` shows each window")  # fmt: skip
    cfg = meta["config"]
    seeds = summary["seeds"]
    recall = _walking_recall(sweep, seeds, "test_motionsense")
    threshold = meta["novelty_threshold"]
    unknown_uci, unknown_ms = 100 * test["unknown_rate"], 100 * external["unknown_rate"]
    return f"""# Pretrained model: `{name}`

**Model** `{meta["model"]}` (hidden {meta["hidden_size"]}), classes {", ".join(meta["classes"])}.
**Task**: {task}
**Reads any phone orientation**, on the waist or in a trouser pocket (README "Any orientation").
**Smoothing**: {smoothing}, README "Smoothing".

## How it was made

```bash
{command}
```

These are the weights of seed {seed} of that sweep (config in `model.json`). Data:

* UCI HAR (Anguita et al. 2013; phone on the waist, 30 volunteers), rebuilt offline from the
  packaged HAPT recordings: trained on the 21 training subjects minus {cfg["val_subjects"]}
  validation subjects; tested once on the 9 official test subjects.
* MotionSense (Malekzadeh et al., "Mobile Sensor Data Anonymization", IoTDI '19; an iPhone
  6s in the front trouser pocket, MIT licence), the short trials of five activities: trained
  on subjects 1-16 minus {cfg["motionsense_val_subjects"]} validation subjects; tested once on
  subjects 17-24.

Validation subjects ({", ".join(map(str, metrics["validation_subjects"]))}; MotionSense's
numbered 100 + n) pick the best epoch. Nothing was chosen on a test subject.

## UCI HAR test subjects ({test["n"]} windows, phone on the waist, as recorded)

| metric (%) | mean ± std over seeds {", ".join(map(str, seeds))} | this model (seed {seed}) |
|---|---|---|
{_rows(summary, "test", metrics)}

Majority-class baseline: {100 * metrics["majority_baseline"]["accuracy"]:.2f} %.
Per test subject accuracy (%): {_per_subject(test)}.

## MotionSense test subjects 17-24 ({external["n"]} windows, trouser pocket, never trained on)

| metric (%) | mean ± std over seeds | this model (seed {seed}) |
|---|---|---|
{_rows(summary, "test_motionsense", metrics)}

WALKING recall: {recall} (mean ± std over seeds). Per subject accuracy (%):
{_per_subject(external)}. These windows are scored from each subject's trials with the
subject's upright reference and the true placement; `lstm-har predict`'s own figures on
recordings (placement found from the data) are in the orientation table below.

## UNKNOWN and NOT_WORN

Windows whose features lie farther from every class than 99 % of the validation subjects'
windows do (novelty above {threshold:.4g}) are novel: {unknown_uci:.2f} % of
the UCI HAR test windows and {unknown_ms:.2f} % of MotionSense's (this model). Each is `UNKNOWN`
with `--no-smooth`; in the smoothed timeline `UNKNOWN` takes three in a row (5.1 s). A minute
or more without any body motion is `NOT_WORN` (README "Smoothing").

## Orientations (this model, through `lstm-har predict`; UNKNOWN counts as an error)

{orientations}
## Intended use and limitations

* Input: a phone on the waist or in a trouser pocket, any orientation, accelerometer (with
  gravity) and gyroscope at or resampled to **50 Hz**. The model reads each window against
  the recording's own upright pose (its median gravity while walking) and placement (how
  much walking moves the phone: the pocket above 0.2 g). A recording needs about 8 s of
  walking for both; without it, the training subjects' upright pose and the waist stand in
  (`lstm-har predict` warns; `--placement` overrides). Hand, wrist and bag are untested:
  where the screen lay within 45° of level while the wearer moved (a hand holding the phone
  to be read, a bag), `lstm-har predict` warns that the labels may be wrong.
* The placement is a threshold on how much walking moves the phone, and a gentle walker's
  pocket can read as a waist (two of MotionSense's eight test subjects, at 0.193 and
  0.196 g). The model was trained with the placement flipped for a fifth of its windows
  (`--augment-placement 0.2`), so a misjudged one costs it less; `--placement` is surer.
* Sitting and standing on the waist are told apart by how far the phone leans from its
  upright pose only: the direction of the lean depends on how the phone was put on and is
  {lean}
* UCI HAR: 30 volunteers aged 19-48 in a lab protocol; MotionSense: 24 people on a campus.
  Free-living behaviour, other ages and mobility impairments are not represented. Not a
  medical device.
* One label per 2.56 s window (64-sample hop), smoothed by the model's HMM by default{short}.
  Activities outside the classes (running, cycling, a bus ride) get one of the classes
  unless their windows lie far from all of them (`UNKNOWN`); postural transitions mostly
  do not (README "Smoothing").
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", required=True, choices=["walking", "activity"])
    parser.add_argument("--command", required=True, help="the command that made the sweep")
    parser.add_argument("--orientations", type=Path, required=True,
                        help="markdown table from bench_orientations.py --markdown")  # fmt: skip
    args = parser.parse_args()
    run = args.sweep / f"seed_{args.seed}"
    model = Classifier.load(run)
    out = PACKAGE / args.name
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "model.json"):
        shutil.copyfile(run / name, out / name)
    meta = read_json(out / "model.json") | {"trained_with": args.command, "seed": args.seed}
    write_json(out / "model.json", meta)
    export(model, out, "onnx", weights_sha256(out))
    metrics, summary = read_json(run / "metrics.json"), read_json(args.sweep / "summary.json")
    text = card(args.name, meta, metrics, summary, args.command, args.seed, args.sweep,
                args.orientations.read_text())  # fmt: skip
    atomic_write(out / "MODEL_CARD.md", text.encode())
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    print(json.dumps({"wrote": str(out), "bytes": sizes}, indent=1))


if __name__ == "__main__":
    main()

# Two entry points for a fresh machine: `make demo` (set up + train the study's model on the
# offline data, then label a held-out recording) and `make test` (set up + lint + type-check
# + tests). Both create .venv from pyproject.toml, pinned by constraints.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN ?= runs/walking
SEEDS ?= 0,1,2,3,4
PRETRAINED ?= walking activity  # which packaged models `make pretrained` retrains
STUDY_FLAGS ?=  # the defaults: the study's SimpleLSTM, walking vs the rest
# The recipes behind the packaged models (README "Any orientation"): any phone orientation,
# trained on UCI HAR's training subjects and MotionSense's subjects 1-16. MOTIONSENSE is its
# folder or zip: `lstm-har data download motionsense` fetches it (prints where).
MOTIONSENSE ?=
ROBUST_FLAGS ?= --model convbilstm_lite --hidden-size 32 --augment-scale 0.2 --epochs 20 \
	--augment-placement 0.2 --any-orientation --motionsense $(MOTIONSENSE)
WALKING_FLAGS ?= --task walking --fine-labels $(ROBUST_FLAGS)
ACTIVITY_FLAGS ?= --task activity $(ROBUST_FLAGS)

.PHONY: setup demo test lint smoke bench pretrained clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/lstm-har data info
	@if [ -f $(RUN)/model.json ]; then $(BIN)/lstm-har evaluate $(RUN); \
	elif [ -f $(RUN)/config.json ]; then $(BIN)/lstm-har train --resume $(RUN); \
	else $(BIN)/lstm-har train --out $(RUN) $(STUDY_FLAGS); fi
	$(BIN)/python examples/held_out_recording.py --subject 9 --out $(RUN)/subject9.csv
	$(BIN)/lstm-har predict $(RUN)/subject9.csv --model $(RUN) \
		--out $(RUN)/subject9_predictions.csv --plot $(RUN)/subject9_timeline.png

lint: setup
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples scripts
	$(BIN)/mypy --strict src

test: lint
	$(BIN)/pytest

# Every benchmark and example once, tiny (--dry-run): they run, whatever their numbers.
smoke: setup
	for f in benchmarks/bench_*.py benchmarks/real_recordings.py examples/gradient_flow.py \
		examples/sit_stand.py; do \
		$(BIN)/python $$f --dry-run > /dev/null || exit 1; done
	rm -f gradient_flow.png

bench: setup
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

pretrained: setup
	@test -n "$(MOTIONSENSE)" || { echo "make pretrained MOTIONSENSE=<MotionSense folder or zip>" \
		"(lstm-har data download motionsense fetches it)"; exit 2; }
	for name in $(PRETRAINED); do \
		flags="$$( [ $$name = walking ] && echo '$(WALKING_FLAGS)' || echo '$(ACTIVITY_FLAGS)' )"; \
		if [ -f runs/pretrained-$$name/sweep.json ]; then \
			$(BIN)/lstm-har train --resume runs/pretrained-$$name -q || exit 1; \
		else $(BIN)/lstm-har train --out runs/pretrained-$$name --seeds $(SEEDS) -q $$flags \
			|| exit 1; fi; \
		$(BIN)/python benchmarks/bench_orientations.py --model runs/pretrained-$$name/seed_0 \
			--motionsense $(MOTIONSENSE) --markdown runs/pretrained-$$name/orientations.md || exit 1; \
		$(BIN)/python scripts/package_pretrained.py --sweep runs/pretrained-$$name --seed 0 \
			--name $$name --orientations runs/pretrained-$$name/orientations.md \
			--command "make pretrained MOTIONSENSE=... (lstm-har train --seeds $(SEEDS) $$flags)" \
			|| exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

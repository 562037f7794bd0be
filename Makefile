# Everyday commands. `make demo` and `make test` are the two README commands.
.PHONY: install demo test test-fast lint typecheck audit bench eval clean

install:
	./scripts/install.sh

demo: install
	.venv/bin/winback demo

test: install
	.venv/bin/python -m pytest -q

test-fast:
	.venv/bin/python -m pytest -q -m "not slow and not local_model"

lint:
	.venv/bin/ruff check agent api evals tests benchmarks
	.venv/bin/ruff format --check agent api evals tests benchmarks

typecheck:
	.venv/bin/mypy

# Known vulnerabilities in the installed dependencies (needs network to PyPI: an operator
# step, not CI). --strict: a package that could not be checked is a failure, not a pass.
audit:
	.venv/bin/pip-audit --strict --progress-spinner off --skip-editable

bench:
	.venv/bin/python benchmarks/bench_import.py
	.venv/bin/python benchmarks/bench_plan.py
	.venv/bin/python benchmarks/bench_backtest.py

eval:
	.venv/bin/winback eval calls evals/datasets/calls.dev.v0.jsonl

clean:
	rm -rf .venv build *.egg-info .pytest_cache .mypy_cache .ruff_cache

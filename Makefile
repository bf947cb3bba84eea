# burden: `make run` solves the shipped example, `make test` runs the suite.
# Both create .venv on first use; nothing else needs doing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE := inputs/alliance.xlsx
REPORT := alliance-report.xlsx

.PHONY: run test test-all bench lint fuzz clean venv solvers

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,cluster]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/burden solve $(EXAMPLE) -o $(REPORT)

# GLPK and CBC for the tests of other solvers (tests/test_pyomo_solvers.py): installed when
# missing and this is root with apt-get; never fails the build (those tests skip instead)
solvers:
	@if ! command -v glpsol >/dev/null 2>&1 || ! command -v cbc >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get install -y -qq glpk-utils coinor-cbc >/dev/null 2>&1 || \
				echo "solvers: glpk-utils/coinor-cbc not installed; their tests will skip"; \
		else \
			echo "solvers: glpsol or cbc missing; their tests will skip"; \
		fi; \
	fi

# two processes: the suite is CPU-bound and these machines have two cores
test: $(STAMP) solvers
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-all: $(STAMP) solvers
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m ''

# the benchmark figures (about an hour here): steps and whole processes against the direct
# build, the routes into HiGHS, sweep throughput and the share of a sweep outside HiGHS
BENCH_CASES := .bench-cases
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --keep $(BENCH_CASES)
	$(BIN)/python benchmarks/ranges.py $(BENCH_CASES)/nato_lp.xlsx $(BENCH_CASES)/large_lp.xlsx
	$(BIN)/python benchmarks/ranges_speed.py $(BENCH_CASES)/nato_lp.xlsx inputs/alliance.xlsx --workers 2 --dask
	$(BIN)/python benchmarks/routes.py $(BENCH_CASES)/nato_lp.xlsx $(BENCH_CASES)/large_lp.xlsx
	$(BIN)/python benchmarks/sweep_throughput.py $(BENCH_CASES)/nato_lp.xlsx
	$(BIN)/python benchmarks/sweep_throughput.py $(BENCH_CASES)/nato_lp.xlsx --overhead 20
	$(BIN)/python benchmarks/sweep_throughput.py $(BENCH_CASES)/large_lp.xlsx --overhead 10
	$(BIN)/python benchmarks/certification.py $(BENCH_CASES)/nato_lp.xlsx --sweep
	$(BIN)/python benchmarks/certification.py $(BENCH_CASES)/large_lp.xlsx --repeat 1
	$(BIN)/python benchmarks/certification.py $(BENCH_CASES)/nato_mip.xlsx

# the long runs: BURDEN_FUZZ_EXAMPLES (default 5000) corrupted workbooks, ~0.25 s each; and
# 400 random scenario sequences per case re-solved in place against cold solves (~5,000)
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests/test_fuzz.py -k long_run
	BURDEN_RESOLVE_EXAMPLES=400 $(BIN)/python -m pytest -q --timeout 0 -s \
		tests/test_certified_sweeps.py -k in_place

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) *.egg-info build $(BENCH_CASES)

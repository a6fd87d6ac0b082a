# Every target is one line: the work lives in bin/ so it runs the same without make.
.PHONY: run test lint ci

run:
	bin/run

test:
	bin/test $(ARGS)

lint:
	bin/ensure-venv --dev && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

ci:
	bash .ci/run

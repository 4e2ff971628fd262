# The two commands a newcomer runs on a fresh Debian/Ubuntu machine:
#   make demo   — install, then run the main job on the bundled example
#   make test   — install what the tests need (pip + apt), then run them
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
EXAMPLE = examples/xinzhou-beijing-office-2023

.PHONY: install demo test test-deps template example bench

install:
	$(PIP) install -q -e .

# the main job on the bundled example: fill the derived cells, then validate (exit 1 = findings, expected:
# the published seed has genuine mistakes) and write the HTML report a bureau would send back
demo: install
	mkdir -p build
	bdt fill $(EXAMPLE).xlsx --out build/example.filled.xlsx
	bdt validate $(EXAMPLE).xlsx --format html --output build/report.html || test $$? -eq 1
	bdt validate $(EXAMPLE).xlsx || test $$? -eq 1

test-deps: install
	$(PIP) install -q -e '.[test]'
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null || ! fc-list | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    libreoffice-calc-nogui poppler-utils fonts-wqy-microhei >/dev/null; \
	fi

test: test-deps
	$(PYTHON) -m pytest

# maintainers: regenerate the committed template and example after a schema change
template: install
	bdt template build --out workbook_template.xlsx
example: install
	bdt import $(EXAMPLE).yaml --out $(EXAMPLE).xlsx

bench: install
	$(PYTHON) benchmarks/run.py
	$(PYTHON) benchmarks/export.py

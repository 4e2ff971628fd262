# The two commands a newcomer runs on a fresh Debian/Ubuntu machine:
#   make demo   — install, then run the main job on the bundled example
#   make test   — install what the tests need (pip + apt), then run them
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
EXAMPLE = examples/xinzhou-beijing-office-2023

.PHONY: install demo-deps demo test test-deps template example bench

install:
	$(PIP) install -q -e .

# a CJK font the PDF can embed (without one the PDF still comes out, with a standard non-embedded
# font and a warning); skipped quietly where apt is not available or not allowed
demo-deps:
	@if command -v apt-get >/dev/null && ! (command -v fc-list >/dev/null && fc-list | grep -qi wqy); then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    fonts-wqy-microhei fontconfig >/dev/null) || echo "提示：未能安装中文字体 fonts-wqy-microhei，PDF 将使用未嵌入的标准中文字体。"; \
	fi

# the main job on the bundled example(s), as a finance bureau runs it: validate every workbook in
# examples/, fill, export (also for workbooks with errors: the seed is published with mistakes),
# one folder per department and the bureau summary in build/demo. Exit 1 = findings (expected).
demo: install demo-deps
	bdt batch examples/ --out build/demo --fill --export pdf,docx,data --export-all || test $$? -eq 1
	@echo "打开 build/demo/summary.html 查看汇总；各单位的报告在 build/demo/<单位名称>/report.html"

test-deps: install
	$(PIP) install -q -e '.[test]'
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null || ! fc-list | grep -qi wqy \
	    || ! command -v chromedriver >/dev/null || ! dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 || ! dpkg -s python3-uno >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils poppler-data fonts-wqy-microhei \
	    chromium chromium-driver python3-uno >/dev/null; \
	fi
	@# the accessibility checker the HTML tests run inside chromium (tests/browser.py)
	@test -f build/npm/node_modules/axe-core/axe.min.js || \
	  npm install --silent --no-audit --no-fund --prefix build/npm axe-core@4.14.1 >/dev/null

test: test-deps
	$(PYTHON) -m pytest

# maintainers: regenerate the committed template and example after a schema change
template: install
	bdt template build --out workbook_template.xlsx
example: install
	bdt import $(EXAMPLE).yaml --out $(EXAMPLE).xlsx

bench: install
	$(PYTHON) benchmarks/run.py
	$(PYTHON) benchmarks/scale.py --rows 60,500,1000,2000,4000 --exports data,html
	$(PYTHON) benchmarks/scale.py --rows 60 --projects 5,40,300 --exports data,html
	$(PYTHON) benchmarks/scale.py --rows 250,1000,4000 --exports data --count
	$(PYTHON) benchmarks/batch.py

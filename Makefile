# The README's two commands. Each sets up .venv (once) and runs.
#   make sweep   the default offline sweep on the embedded models
#   make test    the test suite
PYTHON ?= python3
VENV   ?= .venv
# llama-cpp-python compiles from source (about 5 minutes, once; pip caches the wheel).
# A portable x86-64 build: some VMs advertise AVX-512/AMX but fault on them ("Illegal instruction").
CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_ARGS

.PHONY: sweep test setup
sweep: $(VENV)/.installed
	$(VENV)/bin/python -m pytest benchmarks $(ARGS)

test: $(VENV)/.installed-test
	$(VENV)/bin/python -m pytest tests $(ARGS)

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $@

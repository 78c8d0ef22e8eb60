# The README's two commands. Each sets up .venv (once) and runs.
#   make sweep   the default offline sweep on the embedded models
#   make test    the test suite
PYTHON ?= python3
VENV   ?= .venv
# llama-cpp-python compiles from source (about 5 minutes, once; pip caches the wheel and reuses
# it whatever CMAKE_ARGS say: `pip cache remove llama_cpp_python` to rebuild). Not -DGGML_NATIVE,
# nor llama.cpp's runtime CPU variants (both trust CPUID; llama-cpp-python cannot load variants):
# some VMs advertise AVX-512/AMX but fault on them ("Illegal instruction"). So AVX2, plus each
# AVX-512 extension that a test program compiled and run here executes; never AMX. Such a wheel
# runs where those extensions run: for one shared across machines, give the first line alone.
simd_probe = $(shell f=$${TMPDIR:-/tmp}/arbitrage-simd-$$$$; \
  printf '\043include <immintrin.h>\nint main(void) { volatile int r = $(2); return 0; }' \
  | $(CC) -O0 -mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw $(1) -x c - -o $$f 2>/dev/null \
  && $$f 2>/dev/null && echo ON; rm -f $$f)
m512 = _mm512_set1_epi32(7)
AVX512_ARGS = $(if $(call simd_probe,,_mm512_reduce_add_epi32(_mm512_conflict_epi32(_mm512_maskz_add_epi16(5, $(m512), $(m512))))),\
  -DGGML_AVX512=ON \
  $(if $(call simd_probe,-mavx512vbmi,_mm512_reduce_add_epi32(_mm512_permutexvar_epi8($(m512), $(m512)))),-DGGML_AVX512_VBMI=ON) \
  $(if $(call simd_probe,-mavx512vnni,_mm512_reduce_add_epi32(_mm512_dpbusd_epi32($(m512), $(m512), $(m512)))),-DGGML_AVX512_VNNI=ON) \
  $(if $(call simd_probe,-mavx512bf16,(int)_mm512_reduce_add_ps(_mm512_dpbf16_ps(_mm512_set1_ps(1), (__m512bh)$(m512), (__m512bh)$(m512)))),-DGGML_AVX512_BF16=ON))
ifeq ($(origin CMAKE_ARGS)$(wildcard $(VENV)/.installed),undefined)
CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON $(strip $(AVX512_ARGS))
endif
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

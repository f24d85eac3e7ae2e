"""Random conversations (odd field types, tool calls, template variables) rendered by jinja2 3.1.6 in
transformers' chat-template environment over the reference templates; writes what each renders or which error
it raises. Usage: python3 random-conversations.py OUT.json SEED COUNT_PER_TEMPLATE [TEMPLATE_DIR]"""
import json, random, sys, glob, os
from datetime import datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def raise_exception(message): raise TemplateError(message)
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
env.globals['strftime_now'] = lambda f: datetime(2025, 6, 15, 12, 0, 0).strftime(f)
R = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
D = sys.argv[4] if len(sys.argv) > 4 else os.path.join(os.path.dirname(os.path.abspath(__file__)), *(['..'] * 8), 'shared', 'reference', 'chat-templates')
tokens = json.load(open(D + '/special_tokens.json'))
def rval(depth=0):
    k = R.randrange(9 if depth < 2 else 7)
    if k == 7: return [rval(depth+1) for _ in range(R.randrange(3))]
    if k == 8: return {R.choice(["a","name","type","arguments","content"]): rval(depth+1) for _ in range(R.randrange(3))}
    return [None, True, 3, 2.5, "txt", "", "  sp\n "][k]
def rmsg():
    m = {}
    m["role"] = R.choice(["system", "user", "assistant", "tool", "user", "assistant", "developer"])
    c = R.random()
    m["content"] = "hi <think>r</think> there" if c < 0.3 else "plain" if c < 0.6 else rval() if c < 0.9 else None
    if R.random() < 0.25:
        m["tool_calls"] = [{"type": "function", "function": {"name": R.choice(["f", "get"]), "arguments": R.choice(['{"a": 1}', {"a": 1, "b": [1, "x"]}, rval()])}} for _ in range(R.randrange(1, 3))]
    if R.random() < 0.15: m["reasoning_content"] = R.choice(["why", None, 5])
    if R.random() < 0.1: m["thinking"] = "th"
    if R.random() < 0.1: m["name"] = "nm"
    if R.random() < 0.1: m["tool_call_id"] = "id1"
    return m
out = []
names = sorted(os.path.basename(p)[:-6] for p in glob.glob(D + '/*.jinja'))
for name in names:
    src = open(D + '/' + name + '.jinja', encoding='utf-8').read()
    t = env.from_string(src)
    for i in range(int(sys.argv[3]) if len(sys.argv) > 3 else 120):
        msgs = [rmsg() for _ in range(R.randrange(0, 5))]
        tools = None if R.random() < 0.6 else [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}}] if R.random() < 0.8 else [rval()]
        kw = {}
        if R.random() < 0.3: kw["enable_thinking"] = R.choice([True, False, None, "x"])
        if R.random() < 0.2: kw["reasoning_effort"] = R.choice(["low", "high", None])
        if R.random() < 0.2: kw["builtin_tools"] = R.choice([["python"], ["browser", "python"], []])
        if R.random() < 0.1: kw["date_string"] = "01 Jan 2025"
        agp = R.random() < 0.5
        try:
            r = t.render(messages=msgs, tools=tools, documents=None, add_generation_prompt=agp, **tokens[name], **kw)
            e = {"output": r}
        except Exception as ex:
            e = {"error": type(ex).__name__, "message": str(ex)}
        out.append({"template": name, "messages": msgs, "tools": tools, "kwargs": kw, "agp": agp, **e})
json.dump(out, open(sys.argv[1], 'w'), ensure_ascii=False, separators=(',', ':'))
print(len(out), sum('error' in o for o in out))

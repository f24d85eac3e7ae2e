"""Small templates, one construct or a few each, rendered by jinja2 3.1.6 in transformers' chat-template
environment (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, transformers' tojson,
raise_exception, strftime_now at 2025-06-15T12:00:00); writes what each renders or which error it raises.
Usage: python3 jinja2-semantics.py OUT.json"""
import json, sys
from datetime import datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError

def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
    def raise_exception(message):
        raise TemplateError(message)
    env.filters['tojson'] = tojson
    env.globals['raise_exception'] = raise_exception
    env.globals['strftime_now'] = lambda f: datetime(2025, 6, 15, 12, 0, 0).strftime(f)
    return env

V = {"s": "  Hello World  ", "n": 3, "f": 2.5, "l": [3, 1, 2], "d": {"b": 2, "a": 1, "c": None},
     "msgs": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": " yo ", "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1, "y": "é\n\"q\""}}}]}],
     "none": None, "t": True, "u": "ünï 😀", "words": ["b", "A", "a", "c", "B"], "nested": {"x": {"y": [1, {"z": "deep"}]}},
     "people": [{"name": "Ann", "age": 30, "ok": True}, {"name": "bob", "age": 25, "ok": False}, {"name": "Cy", "age": 35}],
     "big": 12345678901234, "neg": -7, "fl": [1.0, 0.1, 1e-05, 1e16, 123456789.123, -0.0, 3.14159], "empty": [], "es": ""}

T = [
 # whitespace control
 "a\n  {% if t %}\n  yes\n  {% endif %}\nb",
 "a  {%- if t -%}  x  {%- endif -%}  b",
 "a\n  {%+ if t %}x{% endif %}\n",
 "x {# c #}\n  {# c2 #}\ny",
 "{{ 'a' }}\n{{ 'b' }}\n",
 "  {{- s -}}  |",
 "{% for i in l %}\n  {{ i }}\n{% endfor %}\n",
 "{% for i in l -%}\n  {{ i }}\n{%- endfor %}",
 "line1\r\nline2\n\n",
 "{% raw %}{{x}}{% endraw %}",
 # literals and printing
 "{{ none }}|{{ t }}|{{ 1.0 }}|{{ 2 }}|{{ 'x' }}|{{ [1, 'a', none, true] }}|{{ {'k': 'v', 'n': 1} }}|{{ (1,) }}|{{ (1, 2) }}|{{ () }}",
 "{{ fl }}", "{% for x in fl %}{{ x }} {{ x|tojson }};{% endfor %}",
 "{{ 1e20 }} {{ 1.5e-7 }} {{ 0.0001 }} {{ 100.0 }} {{ 1_000 }}",
 "{{ 'a' 'b' }}{{ \"q\\\"\\n\\t\\\\\" }}|{{ 'it''s' }}",
 "{{ undefined_var }}|{{ d.missing }}|{{ d['missing'] }}|{{ l[10] }}|{{ none.x }}|{{ none['x'] }}",
 "{{ undefined_var.x }}", "{{ d.missing.x }}", "{{ undefined_var + 1 }}", "{{ undefined_var ~ 'x' }}",
 "{{ undefined_var | length }}|{{ undefined_var | default('dflt') }}|{{ undefined_var is defined }}|{{ undefined_var is none }}|{{ undefined_var | list }}|{{ undefined_var | trim }}|{{ 'x' in undefined_var }}",
 "{{ undefined_var | tojson }}", "{% for x in undefined_var %}x{% else %}empty{% endfor %}",
 "{{ undefined_var() }}", "{{ undefined_var[0] }}", "{{ undefined_var == undefined_other }}|{{ undefined_var != 1 }}",
 # operators
 "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 6 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -n }} {{ +n }}",
 "{{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ 'a' ~ 1 ~ none ~ t }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 1 + 2.0 }} {{ t + 1 }}",
 "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ t == 1 }}",
 "{{ 'a' in 'cat' }} {{ 2 in l }} {{ 'a' in d }} {{ 'z' not in d }} {{ 5 not in l }} {{ not t }} {{ not none }}",
 "{{ 'x' in none }}", "{{ 1 in 'abc' }}", "{{ 'a' + 1 }}", "{{ 'a' + d }}", "{{ [1] + 'a' }}", "{{ 1 < 'a' }}", "{{ none < 1 }}", "{{ 1 / 0 }}", "{{ -'a' }}",
 "{{ t and 'yes' }}|{{ none or 'dflt' }}|{{ 0 and x }}|{{ '' or [] }}|{{ 'a' if t else 'b' }}|{{ 'a' if none else 'b' }}|{{ 'a' if none }}|",
 "{{ n if n > 5 else 'small' if n > 1 else 'tiny' }}",
 # attribute and subscripts
 "{{ nested.x.y[1].z }}|{{ nested['x']['y'][0] }}|{{ msgs[0].role }}|{{ msgs[-1]['content'] }}|{{ l.0 }}",
 "{{ l[1:] }}|{{ l[:-1] }}|{{ l[::-1] }}|{{ l[::2] }}|{{ 'hello'[1:3] }}|{{ 'hello'[::-1] }}|{{ u[::-1] }}|{{ l[5:] }}|{{ l[-100:100] }}|{{ 'abc'[-1] }}|{{ msgs[1:][0].role }}",
 # str methods
 "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxhixx'.strip('x') }}][{{ s.split() }}][{{ 'a,b,,c'.split(',') }}][{{ 'a b c'.split(' ', 1) }}][{{ s.upper() }}][{{ s.lower() }}][{{ 'hello world'.title() }}][{{ 'hELLO'.capitalize() }}]",
 "{{ 'abc'.startswith('a') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'aXbXc'.replace('X', '-') }} {{ 'aXbXc'.replace('X', '-', 1) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abcabc'.count('b') }} {{ ', '.join(['a', 'b']) }} {{ 'a\nb\n'.splitlines() }} {{ '12'.isdigit() }} {{ 'a/b/c'.rsplit('/', 1) }}",
 "{{ 'x'.missing_method }}|", "{{ 'x'.missing_method() }}", "{{ 'abc'.startswith(1) }}",
 # dict/list methods
 "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.keys() }}|{{ d.values() }}|{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 9) }}|{{ l.index(1) }}|{{ l.count(3) }}",
 "{{ l.append(4) }}", "{{ d.update({'x': 1}) }}",
 # filters
 "{{ d|tojson }}|{{ msgs[2]|tojson }}|{{ u|tojson }}|{{ u|tojson(ensure_ascii=True) }}|{{ l|tojson(indent=2) }}|{{ d|tojson(indent=2, sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ none|tojson }}|{{ 'a<b>&'|tojson }}|{{ empty|tojson(indent=2) }}|{{ {}|tojson }}|{{ nested|tojson(indent='\t') }}",
 "[{{ s|trim }}][{{ 'xxaxx'|trim('x') }}][{{ l|length }}][{{ d|count }}][{{ u|length }}][{{ l|join }}][{{ l|join(', ') }}][{{ people|join('|', attribute='name') }}][{{ none|default('x') }}][{{ ''|default('x') }}][{{ ''|default('x', true) }}][{{ es|d('y', boolean=true) }}]",
 "{{ 'hello wORLD-foo(bar'|title }}|{{ 'abc'|upper }}|{{ 'ABC'|lower }}|{{ 'hELLO world'|capitalize }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ l|first }}|{{ l|last }}|{{ 'abc'|first }}|{{ empty|first }}|{{ 'ab'|list }}|{{ d|list }}",
 "{{ people|map(attribute='name')|list }}|{{ people|map(attribute='age')|sum }}|{{ ['a','b']|map('upper')|join }}|{{ people|map(attribute='zz', default='?')|list }}|{{ l|select('odd')|list }}|{{ l|reject('odd')|list }}|{{ [0, 1, '', 'a', none]|select|list }}",
 "{{ people|selectattr('ok')|map(attribute='name')|list }}|{{ people|rejectattr('ok')|map(attribute='name')|list }}|{{ people|selectattr('age', 'gt', 26)|map(attribute='name')|join(',') }}|{{ people|selectattr('name', 'equalto', 'bob')|list|length }}|{{ msgs|selectattr('role', 'in', ['user', 'system'])|list|length }}",
 "{{ d|items|list }}|{{ d|dictsort }}|{{ d|dictsort(reverse=true) }}|{{ {'b': 1, 'A': 2}|dictsort }}|{{ {'b': 1, 'a': 0}|dictsort(by='value') }}|{{ 12|string }}|{{ none|string }}|{{ '42'|int + 1 }}|{{ '4.7'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 4.9|int }}|{{ '0x1A'|int(0, 16) }}|{{ '2.5'|float }}|{{ 3|float }}|{{ 'q'|float }}",
 "{{ -3|abs }}|{{ neg|abs }}|{{ -2.5|abs }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.675|round(2) }}|{{ 2.1|round(method='ceil') }}|{{ 2.9|round(0, 'floor') }}|{{ 7|round }}|{{ 1.23456|round(3) }}",
 "{{ 'a\nb\n\nc'|indent }}|{{ 'a\nb\n\nc'|indent(2, true) }}|{{ 'a\nb\n\nc'|indent(2, blank=true) }}|{{ 'a\nb'|indent('> ') }}|{{ ''|indent(first=true) }}",
 "{{ words|unique|list }}|{{ words|unique(case_sensitive=true)|list }}|{{ '<a href=\"x\">&\\'</a>'|e }}|{{ '<b>'|escape }}|{{ '<b>'|safe }}|{{ 'one two  three, four'|wordcount }}|{{ [1,2,3,4,5]|batch(2)|list }}|{{ [1,2,3]|batch(2, 'x')|list }}",
 "{{ words|sort }}|{{ words|sort(case_sensitive=true) }}|{{ words|sort(reverse=true) }}|{{ people|sort(attribute='age')|map(attribute='name')|join }}|{{ l|min }}|{{ l|max }}|{{ words|max }}|{{ people|max(attribute='age') }}|{{ l|sum }}|{{ l|sum(start=10) }}|{{ l|reverse|list }}|{{ 'abc'|reverse }}|{{ msgs[0]|attr('role') }}|{{ 'ab'|center(6) }}|",
 "{{ l|map('string')|join('-') }}|{{ people|map(attribute='name')|map('lower')|list }}|{{ [[1, 2], [3]]|map('length')|list }}|{{ [1, 2]|map('tojson')|join }}",
 "{{ none|length }}", "{{ 5|length }}", "{{ l|join(attribute='x') }}", "{{ 'x'|abs }}",
 # tests
 "{{ 'a' is string }} {{ 1 is string }} {{ 1 is number }} {{ 1.5 is number }} {{ t is number }} {{ 1 is integer }} {{ t is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} {{ d is mapping }} {{ l is mapping }} {{ l is sequence }} {{ 'x' is sequence }} {{ d is sequence }} {{ 1 is sequence }} {{ undefined_var is sequence }}",
 "{{ l is iterable }} {{ 'x' is iterable }} {{ d is iterable }} {{ 1 is iterable }} {{ none is iterable }} {{ undefined_var is iterable }} {{ t is boolean }} {{ 1 is boolean }} {{ t is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ none is none }} {{ 0 is none }} {{ undefined_var is undefined }} {{ d.a is defined }}",
 "{{ 2 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 1 is equalto 1 }} {{ 1 is eq 1.0 }} {{ 'a' is ne 'b' }} {{ 2 is gt 1 }} {{ 2 is lt 1 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 2 is in l }} {{ 'x' is in 'xyz' }} {{ range is callable }} {{ 1 is callable }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ none is sameas none }} {{ t is sameas true }}",
 "{{ d is not mapping }} {{ 1 is not none }} {{ not 1 is none }} {{ (1 is number) and ('a' is string) }} {{ 'a' if l is defined else 'b' }}",
 "{{ 'x' is even }}",
 # for loops
 "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('a', 'b') }}{{ loop.depth }};{% endfor %}",
 "{% for x in l if x > 1 %}{{ loop.index }}:{{ x }}{{ ',' if not loop.last }}{% endfor %}",
 "{% for x in empty %}x{% else %}none{% endfor %}|{% for x in l if x > 10 %}x{% else %}filtered-none{% endfor %}",
 "{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in range(10) %}{% if x > 3 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in 'abc' %}{{ c }}.{% endfor %}|{% for c in u %}[{{ c }}]{% endfor %}",
 "{% for x in [1, 2] %}{% for y in 'ab' %}{{ loop.depth }}{{ x }}{{ y }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}",
 "{{ range(5)|list }}|{{ range(1, 10, 3)|list }}|{{ range(5, 0, -2)|list }}|{{ range(0)|list }}|{{ range(3)|length }}",
 "{% for x in none %}{% endfor %}", "{% for x in 5 %}{% endfor %}", "{% for a, b in [1, 2] %}{% endfor %}",
 # scoping and set
 "{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}",
 "{% set ns = namespace(total=0, items=[]) %}{% for i in l %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}|{{ ns.items }}|{{ ns.missing }}|{% set ns2 = namespace({'a': 1}, b=2) %}{{ ns2.a }}{{ ns2.b }}",
 "{% set x = 5 %}{% if t %}{% set x = 6 %}{% endif %}{{ x }}|{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set c, e = [3, 4] %}{{ c }}{{ e }}|{% set tup = 1, 2 %}{{ tup }}",
 "{% set block %}\n  inner {{ n }}\n{% endset %}[{{ block }}]|{% set b2 | upper | trim %} text {% endset %}[{{ b2 }}]",
 "{% set x = 1 %}{% set x.y = 2 %}",
 "{% set ns = namespace(v='') %}{% set ns.v %}captured{% endset %}{{ ns.v }}",
 # macros
 "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }}|{{ greet('Bob', 'Hi') }}|{{ greet(greeting='Yo', name='Cy') }}|{{ greet() }}",
 "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, a=3) }}",
 "{% macro outer(x) %}[{{ caller() }}{{ x }}]{% endmacro %}{% call outer(1) %}body{{ n }}{% endcall %}|{% macro lst(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(v) lst([1, 2]) %}<{{ v }}>{% endcall %}",
 "{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}",
 "{% set g = 'global' %}{% macro show() %}{{ g }}{{ n }}{% endmacro %}{{ show() }}",
 "{% macro m(a) %}{% set a = a * 2 %}{{ a }}{% endmacro %}{% set a = 1 %}{{ m(5) }}{{ a }}",
 # filter block
 "{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter trim | replace('a', 'b') %}  aaa  {% endfilter %}",
 # globals
 "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %H:%M:%S %I%p %j %y') }}",
 "{{ raise_exception('bad ' ~ n) }}",
 "{{ dict(a=1, b='x') }}|{{ dict({'z': 1}, y=2) }}",
 # misc
 "{{ msgs[0]['role'] + ':' + msgs[0].content }}|{{ (msgs|length) - 1 }}|{{ msgs|selectattr('role', 'equalto', 'user')|first }}",
 "{{ {'a': 1}['a'] }}|{{ [1, 2, 3][1] }}|{{ {'a': {'b': 'c'}}.a.b }}|{{ [[1]][0][0] }}|{{ {1: 'int key'}[1] }}|{{ {'a': 1}|length }}",
 "{% if msgs[0].role == 'system' %}{% set sys = msgs[0].content %}{% set rest = msgs[1:] %}{% else %}{% set sys = none %}{% endif %}{{ sys }}|{{ rest|length }}",
 "{% if n is defined and n > 2 %}big{% elif n == 2 %}two{% else %}small{% endif %}|{% if none %}a{% elif 0 %}b{% endif %}|",
 "{{ msgs[2].tool_calls[0].function.arguments|tojson }}|{{ msgs[2].tool_calls[0].function.arguments.y }}",
 "{{ big }} {{ big * 1000 }} {{ neg // 2 }} {{ 10 ** 15 }} {{ 2.0 ** 60 }}",
 "{{ '%s and %s' % ('a', 'b') }}|{{ '%d%%' % 5 }}|{{ '[%s]' % 'x' }}|{{ '%r' % 'q' }}",
 "{{ 'abc' ~ 5 }}|{{ 'é' < 'z' }}|{{ u|upper }}|{{ u|length }}|{{ 'ß'|upper }}",
]


T += [
 "\t{% if t %}\n\tA\n\t{% endif %}\n \t {%- if t %}B{% endif +%}\nC\n{# c -#}   \n  D {#- c #}\nE",
 "{% for m in msgs %}\n    {% if m.role == 'user' %}\n        U:{{ m.content }}\n    {% else %}\n        O:{{ m.content }}\n    {% endif %}\n{% endfor %}",
 "  {{ 'x' }}  {% if t %}  y  {% endif %}  ",
 "a {% if t -%}\n\n  b  \n\n{%- endif %} c",
 "{% macro row(m) -%}\n  [{{ m.role }}]\n{%- endmacro %}\n{% for m in msgs %}{{ row(m) }}{% endfor %}",
 "{{ '\\u00e9\\x41\\n' }}|{{ \"tab\\there\" }}|{{ 'a\\\\b' }}|{{ 'q\"' }}|{{ \"'\" }}",
 "{{ [1, 2] == [1, 2] }} {{ [1, 2] == (1, 2) }} {{ {'a': 1} == {'a': 1} }} {{ 'a' == 'a' }} {{ none == none }} {{ 0 == false }} {{ 1.5 > 1 }} {{ 'B' < 'a' }}",
 "{{ l[::-2] }}|{{ l[-1:0:-1] }}|{{ 'abcdef'[1:-1:2] }}|{{ l[:0] }}",
 "{% for x in l %}{{ loop.cycle('odd', 'even') }} {% endfor %}|{{ l|select('equalto', 1)|list }}|{{ ['1', '2']|map('int')|sum }}|{{ 3.14159|round(1) }}|{{ 'a\nb'|indent(first=true) }}",
 "{{ {'k': 'é\u0001\u001f\u007f\u2028', 'n': [1.5, -2, true, none]}|tojson }}|{{ '😀'|tojson(ensure_ascii=true) }}",
 "{{ x|default }}|{{ x|d(none) }}|{{ none|d('n') }}|{{ false|default('f', true) }}",
 "{% set ns = namespace(found=false) %}{% for m in msgs %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
 "{% macro outer() %}{% set inner = 'v' %}{% macro nested() %}{{ inner }}{% endmacro %}{{ nested() }}{% endmacro %}{{ outer() }}",
 "{% for m in msgs %}{% set last = m.role %}{% endfor %}[{{ last }}]",
 "{% if t %}{% set z = 'set-in-if' %}{% endif %}{{ z }}",
 "{{ msgs|map(attribute='role')|join(', ') }}|{{ msgs|selectattr('tool_calls', 'defined')|list|length }}|{{ msgs|rejectattr('content', 'none')|list|length }}|{{ msgs|map(attribute='tool_calls')|select('defined')|list|length }}",
 "{{ 'Hello'|list|reverse|join }}|{{ 'a-b_c d'|title }}|{{ 'ÉCOLE'|lower }}|{{ 'straße'|title }}|{{ 'x'|center(4) }}|{{ 'abc'|replace('', '-') }}",
 "{{ 10 / 4 }} {{ 10 // 4 }} {{ 10 % 4 }} {{ -10 / 4 }} {{ 2 ** 0.5 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 100000000000000000.0 }} {{ 12345678.9 }}",
 "{{ n ~ '' }}{{ f|string }}{{ (f * 2)|int }}{{ '%.2f'|length }}",
 "{{ 'a,b'.split(',')|length }}{{ ''.split(',') }}{{ ''.split() }}{{ ' a  b '.split(' ') }}{{ 'a\tb\nc'.split() }}",
 "{{ 'x' if none is none }}{{ 'y' if undefined_var is not defined }}{{ 'z' if 'a' is in ['a'] }}",
 "{% for i in range(3) %}{% for j in range(3) %}{% if j == 1 %}{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
 "{% set d2 = {'role': 'x', 'content': 'y'} %}{{ d2.role }}{{ d2['content'] }}{{ d2.get('role') }}{{ d2|length }}",
 "{{ (msgs|last).content|trim }}|{{ (msgs|first)['role'] }}|{{ msgs[0:2]|map(attribute='content')|join('+') }}",
]

T += [
 "{{ '{} and {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='N') }}|{{ '{{}} {!r}'.format('q') }}|{{ '%s-%s'|format('a', 'b') }}|{{ '%d'|format(3) }}|{{ '[%s]'|format(l) }}",
]
ERR_T = [
 "{% if t %}unclosed", "{{ 1 + }}", "{% for x in %}{% endfor %}", "{% endif %}", "{% unknowntag %}", "{{ x | nosuchfilter }}", "{{ x is nosuchtest }}",
 "{{ 'unterminated }}", "{% if t %}{% else %}{% else %}{% endif %}", "{{ (1, 2 }}", "{% break %}",
]

env = make_env()
out = []
for src in T + ERR_T:
    try:
        r = env.from_string(src).render(**V)
        out.append({"template": src, "output": r})
    except TemplateError as e:
        out.append({"template": src, "error": type(e).__name__, "message": str(e)})
    except Exception as e:
        out.append({"template": src, "error": type(e).__name__, "message": str(e)})
json.dump({"variables": V, "cases": out}, open(sys.argv[1], "w"), ensure_ascii=False, indent=1)
print(len(out), sum(1 for o in out if "error" in o))

"""Schema documentation: what a pydantic settings model says about each of its keys.

One `KeyDoc` per key (type, unit, range, default, description, allowed values) and one
`SectionDoc` per table, read from the models themselves (`Field(description=...)`, the range
constraints, `Literal` choices, the unit in the key's suffix or `json_schema_extra={"unit": ...}`).
The deck and the job file document themselves through these; the commented TOML, `rules explain`
and the README's deck reference are renderings of the same records. `Settings` is the strictly
typed base every settings table (deck, job, machine) derives from.
"""

from __future__ import annotations

import math
import textwrap
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

# Key suffix -> unit, longest first (a key says its unit in its name).
_SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_uah_cm2_um", "uAh/cm2/um"),
    ("_mm_s", "mm/s"),
    ("_mah", "mAh"),
    ("_khz", "kHz"),
    ("_pct", "%"),
    ("_um", "um"),
    ("_mm", "mm"),
    ("_ns", "ns"),
    ("_us", "us"),
    ("_m", "m"),
    ("_v", "V"),
    ("_s", "s"),
)

WIDTH = 99


def number_kind(annotation: Any) -> str | None:
    """'int', 'float' or 'bool' when a field (or each item of a tuple field) holds numbers or
    booleans."""
    if annotation is bool:
        return "bool"
    if annotation in (int, float):
        return annotation.__name__
    kinds = {number_kind(a) for a in get_args(annotation) if a is not type(None)} - {None}
    if not kinds or len(kinds) > 1 and "bool" in kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else "float"


def strict_number(value: Any, kind: str | None) -> Any:
    """Refuse what pydantic's lax mode would turn into a number (true/false, text, a float for
    an int: no silent truncation) or into a boolean (1, "yes"); list items one by one."""
    if kind is None:
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("true or false is expected")
        return value
    if isinstance(value, list | tuple):
        for item in value:
            strict_number(item, kind)
        return value
    if isinstance(value, bool):
        raise ValueError(f"a number is expected, not {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError("a number is expected, not text")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number (not nan or inf)")
    if kind == "float" and isinstance(value, int) and abs(value) > 10**300:
        raise ValueError("must be a finite number (this one is past any float)")
    if kind == "int" and isinstance(value, float):
        raise ValueError("a whole number is expected (an integer, no decimal point)")
    return value


class Settings(BaseModel):
    """Base of every settings table (deck and job sections): unknown keys refused, frozen, and
    numbers and booleans typed strictly (`strict_number`) with one-line messages."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        return strict_number(v, number_kind(field.annotation) if field else None)


@dataclass(frozen=True)
class KeyDoc:
    """What the schema says about one key."""

    key: str  # dotted path; items of a list of tables as "tiling.keepouts[].x_mm"
    kind: str  # "number", "integer", "true/false", "text", "choice", "list of ...", ...
    unit: str  # "" when the value has none (counts, choices, text)
    range: str  # e.g. "0 < x <= 1000"; "" when unbounded
    default: Any  # the default value (JSON form), None when there is none
    has_default: bool
    description: str
    choices: tuple[str, ...]  # allowed values of a choice (or of each list item)

    def summary(self) -> str:
        """The description with choices or unit and range, on one line (CLI help, comments)."""
        extra = []
        if self.choices:
            extra.append(" | ".join(self.choices))
        else:
            if self.unit:
                extra.append(self.unit)
            if self.range:
                extra.append(self.range)
        return f"{self.description} [{', '.join(extra)}]" if extra else self.description

    def default_text(self) -> str:
        """The default as TOML ('unset' for an optional key left out, '' when none)."""
        if not self.has_default:
            return ""
        return "unset" if self.default is None else toml_value(self.default)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.kind, "unit": self.unit, "range": self.range,
                "default": self.default, "description": self.description,
                "allowed": list(self.choices)}

    def text(self) -> str:
        """A block of aligned lines for a terminal."""
        rows = [("type", self.kind), ("unit", self.unit), ("range", self.range),
                ("default", self.default_text() or "(none: required)"),
                ("allowed", " | ".join(self.choices))]
        body = "\n".join(f"  {name:<8} {value}" for name, value in rows if value)
        return f"{self.key}\n  {self.description}\n{body}"


@dataclass(frozen=True)
class SectionDoc:
    """One table of the schema and its own (scalar) keys."""

    key: str  # "" for the top level
    description: str
    keys: tuple[KeyDoc, ...]

    @property
    def header(self) -> str:
        """The TOML header of the table: [name], or [[name]] for the items of a list."""
        return f"[[{self.key[:-2]}]]" if self.key.endswith("[]") else f"[{self.key}]"

    def as_json(self) -> dict[str, Any]:
        return {"section": self.key, "description": self.description,
                "keys": [k.as_json() for k in self.keys]}


def _unit(name: str, info: FieldInfo) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "unit" in extra:
        return str(extra["unit"])
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def range_text(info: FieldInfo) -> str:
    """The field's numeric bounds as 'lo <= x < hi' ('' when it has none)."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "range" in extra:
        return str(extra["range"])
    low = high = ""
    for m in info.metadata:
        if isinstance(m, at.Gt):
            low = f"{_number(m.gt)} < "
        elif isinstance(m, at.Ge):
            low = f"{_number(m.ge)} <= "
        elif isinstance(m, at.Lt):
            high = f" < {_number(m.lt)}"
        elif isinstance(m, at.Le):
            high = f" <= {_number(m.le)}"
    if low and not high:  # x > 0 reads better than 0 < x
        return "x " + low.split()[1].replace("<", ">") + " " + low.split()[0]
    return f"{low}x{high}" if low or high else ""


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _kind(t: Any) -> tuple[str, tuple[str, ...]]:
    """(type name, choices) of an annotation."""
    origin = get_origin(t)
    if origin is Literal:
        return "choice", tuple(str(a) for a in get_args(t))
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(t) if a is not type(None)]
        kind, choices = _kind(inner[0])
        return f"{kind} (optional)", choices
    if origin is tuple:
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            kind, choices = _kind(args[0])
            if _is_model(args[0]):
                return "list of tables", ()
            return f"list of {'choices' if choices else kind}", choices
        return "[" + ", ".join(_kind(a)[0] for a in args) + "]", ()
    names = {bool: "true/false", int: "integer", float: "number", str: "text"}
    return names.get(t, getattr(t, "__name__", str(t))), ()


def _item_model(t: Any) -> type[BaseModel] | None:
    """The model of a list-of-tables field (tuple[Model, ...]), else None."""
    if get_origin(t) is tuple:
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis and _is_model(args[0]):
            return args[0]  # type: ignore[no-any-return]
    return None


def _first_line(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def section_docs(model: type[BaseModel], defaults: dict[str, Any] | None = None,
                 prefix: str = "", description: str = "") -> list[SectionDoc]:
    """Every table of `model` (this one first, then its sub-tables in schema order).
    `defaults` (the model's data in JSON form, e.g. the shipped deck) gives the default values;
    without it a field's own default is shown."""
    keys: list[KeyDoc] = []
    subs: list[SectionDoc] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("internal"):
            continue  # set by the loader, not by the user
        key = f"{prefix}{name}"
        ann = info.annotation
        given = defaults is not None and name in defaults
        if _is_model(ann):
            sub = defaults.get(name) if defaults is not None else None
            subs += section_docs(ann, sub if isinstance(sub, dict) else None, key + ".",  # type: ignore[arg-type]
                                 info.description or _first_line(ann.__doc__))  # type: ignore[union-attr]
            continue
        if given:
            default, has = defaults[name], True  # type: ignore[index]
        elif info.default is not PydanticUndefined:
            default, has = _jsonable(info.default), True
        else:
            default, has = None, False
        kind, choices = _kind(ann)
        keys.append(KeyDoc(key, kind, _unit(name, info), range_text(info), default, has,
                           info.description or "", choices))
        item = _item_model(ann)
        if item is not None:
            subs += section_docs(item, None, key + "[].", _first_line(item.__doc__))
    top = SectionDoc(prefix.rstrip("."), description or _first_line(model.__doc__), tuple(keys))
    return [top, *subs]


def toml_value(v: Any) -> str:
    """One value in TOML syntax."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _comment(text: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(text, width - 2, initial_indent="# ", subsequent_indent="# ",
                         break_on_hyphens=False)


def commented_toml(model: type[BaseModel], data: dict[str, Any], header: str = "") -> str:
    """`data` (the model's JSON dump) as TOML, every key under a comment with its description,
    unit and range (or allowed values), sections in schema order."""
    lines = _comment(header) if header else []
    docs = {s.key: s for s in section_docs(model)}
    _emit(data, [], docs, lines)
    return "\n".join(lines).strip() + "\n"


def _emit(d: dict[str, Any], path: list[str], docs: dict[str, SectionDoc],
          lines: list[str]) -> None:
    key = ".".join(path)
    section = docs.get(key)
    scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
    if path:
        lines.append("")
        if section and section.description:
            lines += _comment(section.description)
        lines.append(f"[{key}]")
    by_key = {k.key: k for k in section.keys} if section else {}
    for k, v in scalars.items():
        doc = by_key.get(f"{key}.{k}" if key else k)
        if doc:
            lines += _comment(doc.summary())
            item = docs.get(f"{doc.key}[]")
            if item:
                lines.append("# each item is an inline table { key = value, ... } of:")
                for sub in item.keys:
                    lines += textwrap.wrap(f"{sub.key.rsplit('.', 1)[-1]}: {sub.summary()}",
                                           WIDTH - 2, initial_indent="#   ",
                                           subsequent_indent="#     ", break_on_hyphens=False)
        lines.append(f"{k} = {toml_value(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            _emit(v, [*path, k], docs, lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(sections: list[SectionDoc], level: int = 3) -> str:
    """Sections as Markdown tables (key, type, unit, range, default, description)."""
    out: list[str] = []
    for s in sections:
        if not s.keys:
            continue
        title = f"`{s.header}`" if s.key else "top level"
        out += [f"{'#' * level} {title}", "", _cell(s.description), "",
                "| key | type | unit | range | default | description |",
                "|---|---|---|---|---|---|"]
        for k in s.keys:
            kind = k.kind + (": " + ", ".join(f"`{c}`" for c in k.choices) if k.choices else "")
            default = ("required" if not k.has_default else "unset" if k.default is None
                       else f"`{_cell(k.default_text())}`")
            out.append(f"| `{k.key.rsplit('.', 1)[-1]}` | {_cell(kind)} | {k.unit} | "
                       f"{_cell(k.range)} | {default} | {_cell(k.description)} |")
        out.append("")
    return "\n".join(out).strip() + "\n"


def _markers(name: str) -> tuple[str, str]:
    return (f"<!-- {name}: generated from the schema by scripts/refresh_reference.py, "
            "do not edit -->", f"<!-- {name} end -->")


def generated_block(text: str, name: str) -> str | None:
    """The generated block `name` of a Markdown text (None when its markers are missing)."""
    begin, end = _markers(name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        return None
    return text[i + len(begin):j].strip("\n") + "\n"


def with_generated_block(text: str, name: str, body: str) -> str:
    """`text` with the generated block `name` replaced by `body` (appended when missing)."""
    begin, end = _markers(name)
    block = f"{begin}\n\n{body.strip()}\n\n{end}"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return text[:i] + block + text[j + len(end):]

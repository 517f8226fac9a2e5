"""Deterministic model catalogs for the reference gateway.

Every row is a pure function of (gateway, position): the same bytes in every run and process (no
`hash()`, no wall clock), and a catalog of any size costs O(1) to build when it is served lazily.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from math import gcd, prod

from . import vocabulary as v
from .rows import ConcatRows, Row, Rows, materialize

SEED = 20251018  # the day HuggingFace came back (R03-R05); any constant works
_MASK = (1 << 64) - 1
_CREATED_START = 1_672_531_200  # 2023-01-01T00:00:00Z
_CREATED_SPAN = 110_000_000  # about 3.5 years

IdAt = Callable[[int], tuple[str, str]]  # position -> (id, developer)


def _mix(x: int) -> int:
    """splitmix64 finalizer: a fast, well-spread, process-independent integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _salt(label: str) -> int:
    return _mix(SEED ^ (zlib.crc32(label.encode()) << 20))


@dataclass(frozen=True)
class IdSpace:
    """A gateway's ids: a curated head, then a generated tail that never repeats an id."""

    head: tuple[tuple[str, str], ...]
    tail: IdAt

    def at(self, i: int) -> tuple[str, str]:
        return self.head[i] if i < len(self.head) else self.tail(i - len(self.head))


def _tail(
    label: str,
    pieces: Sequence[Sequence[str]],
    render: Callable[[tuple[str, ...]], tuple[str, str]],
    avoid: frozenset[str],
) -> IdAt:
    """An injective position -> id map over the product of `pieces`.

    Positions are shuffled by an affine bijection mod N (so neighbours differ); past N the same
    space is reused with a `-vK` suffix. Ids that would repeat a head id get `-alt` (no piece ends
    with it, so the map stays injective).
    """
    radices = [len(p) for p in pieces]
    size = prod(radices)
    salt = _salt(label)
    mult = 7919 + salt % 1000
    while gcd(mult, size) != 1:
        mult += 1
    shift = salt % size

    def at(k: int) -> tuple[str, str]:
        block, r = divmod(k, size)
        j = (r * mult + shift) % size
        chosen: list[str] = []
        for piece, radix in zip(reversed(pieces), reversed(radices), strict=True):
            j, digit = divmod(j, radix)
            chosen.append(piece[digit])
        model_id, developer = render(tuple(reversed(chosen)))
        if block:
            model_id = f"{model_id}-v{block + 1}"
        if model_id in avoid:
            model_id += "-alt"
        return model_id, developer

    return at


def _org_of(model_id: str) -> str:
    return model_id.split("/", 1)[0]


def _hf_space(label: str, head: Sequence[str], prefix: str = "") -> IdSpace:
    """HuggingFace-style `org/Family-Size-Variant` ids (featherless, huggingface, chutes, ...)."""
    pairs = [f"{org}/{family}" for org, families in v.HF_FAMILIES.items() for family in families]
    head_ids = tuple((f"{prefix}{model_id}", _org_of(model_id)) for model_id in head)

    def render(chosen: tuple[str, ...]) -> tuple[str, str]:
        pair, size, variant = chosen
        return f"{prefix}{pair}-{size}-{variant}", _org_of(pair)

    avoid = frozenset(model_id for model_id, _ in head_ids)
    return IdSpace(head_ids, _tail(label, (pairs, v.HF_SIZES, v.HF_VARIANTS), render, avoid))


def _openrouter_space() -> IdSpace:
    ids = list(v.OPENROUTER_HEAD) + [f"{model_id}:free" for model_id in v.OPENROUTER_FREE]
    head = tuple((model_id, _org_of(model_id)) for model_id in ids)
    pairs = [f"{org}/{family}" for org, families in v.OPENROUTER_FAMILIES.items() for family in families]

    def render(chosen: tuple[str, ...]) -> tuple[str, str]:
        pair, size, variant = chosen
        return f"{pair}-{size}{variant}", _org_of(pair)

    avoid = frozenset(ids)
    return IdSpace(
        head, _tail("openrouter", (pairs, v.OPENROUTER_SIZES, v.OPENROUTER_VARIANTS), render, avoid)
    )


def _bare_space(
    label: str,
    head: Sequence[tuple[str, str]],
    pieces: Sequence[Sequence[str]],
    render: Callable[[tuple[str, ...]], tuple[str, str]],
    prefix: str = "",
) -> IdSpace:
    head_ids = tuple((f"{prefix}{model_id}", developer) for model_id, developer in head)

    def prefixed(chosen: tuple[str, ...]) -> tuple[str, str]:
        model_id, developer = render(chosen)
        return f"{prefix}{model_id}", developer

    avoid = frozenset(model_id for model_id, _ in head_ids)
    return IdSpace(head_ids, _tail(label, pieces, prefixed, avoid))


def _developer_of_family(families: Sequence[tuple[str, str]]) -> Callable[[tuple[str, ...]], tuple[str, str]]:
    lookup = dict(families)

    def render(chosen: tuple[str, ...]) -> tuple[str, str]:
        family, size, variant = chosen
        return f"{family}-{size}{variant}", lookup[family]

    return render


def _google_render(chosen: tuple[str, ...]) -> tuple[str, str]:
    version, tier, kind, date = chosen
    return f"gemini-{version}-{tier}-{kind}-{date}", "google"


def _xai_render(chosen: tuple[str, ...]) -> tuple[str, str]:
    version, variant, date = chosen
    return f"grok-{version}-{variant}-{date}", "xai"


# --- prices, descriptions, modalities -------------------------------------------------------------


def _per_token(per_million: Decimal) -> str:
    return format((per_million / 1_000_000).normalize(), "f")


_PRICE_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (_per_token(Decimal(p)), _per_token(Decimal(p) * ratio))
    for p in v.PRICES_PER_MILLION
    for ratio in v.COMPLETION_RATIOS
)

_MODALITY_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("flux", "sdxl", "imagen", "grok-2-image"), "text->image"),
    (("gpt-5-image", "flash-image"), "text+image->text+image"),
    (("whisper",), "audio->text"),
    (("tts", "sonic"), "text->audio"),
    (("gte-", "bge-", "e5-", "embedding", "minilm", "mpnet", "bert"), "text->embedding"),
    (("vision", "-vl", "vl-", "pixtral", "multimodal", "molmo", "ui-tars", "glm-4.5v"), "text+image->text"),
)


def _modality(model_id: str) -> str:
    lowered = model_id.lower()
    for needles, modality in _MODALITY_RULES:
        if any(n in lowered for n in needles):
            return modality
    return "text->text"


def _hf_name(model_id: str) -> str:
    return model_id.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")


_UPPER_TOKENS = frozenset({"gpt", "glm", "lfm", "r1", "v3", "qwq", "rp", "ai"})


def _openrouter_name(model_id: str, developer: str) -> str:
    model, _, tag = model_id.split("/", 1)[1].partition(":")
    words = " ".join(t.upper() if t in _UPPER_TOKENS else t[:1].upper() + t[1:] for t in model.split("-"))
    org = v.OPENROUTER_ORG_NAMES.get(developer, developer.replace("-", " ").title())
    return f"{org}: {words}" + (f" ({tag})" if tag else "")


Describe = Callable[[str, str, int, int | None], str | None]  # (id, name, hash, context) -> text


def _hosted(gateway_name: str) -> Describe:
    return lambda model_id, name, h, ctx: f"{gateway_name} hosted model: {model_id}"


def _describe_openrouter(model_id: str, name: str, h: int, ctx: int | None) -> str:
    trait = v.DESCRIPTION_TRAITS[(h >> 44) % len(v.DESCRIPTION_TRAITS)]
    return (
        f"{name} is {trait}. It accepts up to {ctx or 0:,} tokens of context and is served through "
        f"OpenRouter's unified, OpenAI-compatible API with automatic provider fallback."
    )


def _describe_featherless(model_id: str, name: str, h: int, ctx: int | None) -> str | None:
    if (h >> 44) % 3:
        return None  # most featherless rows carry no description
    return f"{name}: {v.DESCRIPTION_TRAITS[(h >> 46) % len(v.DESCRIPTION_TRAITS)]}."


# --- gateways ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayRecipe:
    """How one gateway's rows are generated: its size, id space, naming, pricing, contexts and descriptions."""

    slug: str
    name: str
    size: int
    aliases: tuple[str, ...]
    id_format: str
    ids: IdSpace
    source_label: str  # what rows say in `source_gateway` (HuggingFace said "hug", R15)
    pricing: str  # "all", "sparse" (about 1 in 150) or "none"
    contexts: tuple[int | None, ...]
    describe: Describe
    name_of: Callable[[str, str], str] = lambda model_id, developer: _hf_name(model_id)


def _hf_gateway(slug: str, name: str, size: int, head: Sequence[str], **kw: object) -> GatewayRecipe:
    fields: dict[str, object] = {
        "aliases": (),
        "id_format": "org/model",
        "source_label": slug,
        "pricing": "all",
        "contexts": (32768, 65536, 131072),
        "describe": _hosted(name),
    }
    fields.update(kw)
    return GatewayRecipe(slug=slug, name=name, size=size, ids=_hf_space(slug, head), **fields)  # type: ignore[arg-type]


_HF_HEAD = v.POPULAR + v.HUGGINGFACE_EXTRA  # Arch-Router lands at position 36, inside every 100-row cap
_FEATHERLESS_HEAD = v.POPULAR[:20]

GATEWAYS: tuple[GatewayRecipe, ...] = (
    GatewayRecipe(
        slug="openrouter",
        name="OpenRouter",
        size=340,
        aliases=(),
        id_format="org/model",
        ids=_openrouter_space(),
        source_label="openrouter",
        pricing="all",
        contexts=(8192, 16384, 32768, 65536, 128000, 131072, 200000, 262144, 1000000, 1048576),
        describe=_describe_openrouter,
        name_of=_openrouter_name,
    ),
    _hf_gateway(
        "featherless",
        "Featherless",
        6400,
        _FEATHERLESS_HEAD,
        id_format="org/Model-Name-7B",
        pricing="sparse",
        contexts=(4096, 8192, 16384, 32768),
        describe=_describe_featherless,
    ),
    _hf_gateway(
        "huggingface",
        "Hugging Face",
        1204,
        _HF_HEAD,
        aliases=("hug",),
        id_format="org/Model",
        source_label="hug",
        pricing="none",
        contexts=(0, 0, 0, None, 4096, 8192, 32768),
        describe=lambda model_id, name, h, ctx: f"Hugging Face model: {model_id}",
    ),
    GatewayRecipe(
        slug="deepinfra",
        name="DeepInfra",
        size=215,
        aliases=(),
        id_format="@deepinfra/org/model",
        ids=_hf_space("deepinfra", v.DEEPINFRA_HEAD, prefix="@deepinfra/"),
        source_label="deepinfra",
        pricing="all",
        contexts=(0, 8192, 32768, 131072, 163840),
        describe=_hosted("DeepInfra"),
    ),
    _hf_gateway("chutes", "Chutes", 104, v.CHUTES_HEAD, contexts=(32768, 65536, 131072, 163840, 262144)),
    _hf_gateway("together", "Together AI", 97, v.TOGETHER_HEAD, contexts=(8192, 32768, 131072)),
    GatewayRecipe(
        slug="google-vertex",
        name="Google Vertex AI",
        size=71,
        aliases=("google",),
        id_format="gemini-2.5-pro",
        ids=_bare_space(
            "google-vertex",
            v.GOOGLE_VERTEX_HEAD,
            (v.GOOGLE_VERTEX_VERSIONS, v.GOOGLE_VERTEX_TIERS, v.GOOGLE_VERTEX_KINDS, v.GOOGLE_VERTEX_DATES),
            _google_render,
        ),
        source_label="google-vertex",
        pricing="all",
        contexts=(32768, 1048576, 2097152),
        describe=_hosted("Google Vertex AI"),
        name_of=lambda model_id, developer: model_id.replace("-", " ").title(),
    ),
    GatewayRecipe(
        slug="fireworks",
        name="Fireworks AI",
        size=38,
        aliases=(),
        id_format="accounts/fireworks/models/<name>",
        ids=_bare_space(
            "fireworks",
            v.FIREWORKS_HEAD,
            (
                [f for f, _ in v.FIREWORKS_FAMILIES],
                v.FIREWORKS_SIZES,
                [f"-{x}" for x in v.FIREWORKS_VARIANTS],
            ),
            _developer_of_family(v.FIREWORKS_FAMILIES),
            prefix="accounts/fireworks/models/",
        ),
        source_label="fireworks",
        pricing="all",
        contexts=(32768, 131072, 163840),
        describe=_hosted("Fireworks AI"),
    ),
    GatewayRecipe(
        slug="xai",
        name="xAI",
        size=23,
        aliases=(),
        id_format="grok-4",
        ids=_bare_space(
            "xai",
            tuple((x, "xai") for x in v.XAI_HEAD),
            (v.XAI_VERSIONS, v.XAI_VARIANTS, v.XAI_DATES),
            _xai_render,
        ),
        source_label="xai",
        pricing="all",
        contexts=(131072, 256000, 2000000),
        describe=_hosted("xAI"),
        name_of=lambda model_id, developer: model_id.replace("-", " ").title(),
    ),
    _hf_gateway("nebius", "Nebius AI Studio", 21, v.NEBIUS_HEAD, contexts=(32768, 131072)),
    GatewayRecipe(
        slug="groq",
        name="Groq",
        size=19,
        aliases=(),
        id_format="groq/org/model",
        ids=_bare_space(
            "groq",
            v.GROQ_HEAD,
            (
                [f"{org}/{f}" for f, org in v.FIREWORKS_FAMILIES],
                v.FIREWORKS_SIZES,
                ("-instant", "-versatile", "-specdec"),
            ),
            lambda c: (f"{c[0]}-{c[1]}{c[2]}", _org_of(c[0])),
            prefix="groq/",
        ),
        source_label="groq",
        pricing="all",
        contexts=(8192, 131072),
        describe=_hosted("Groq"),
    ),
    GatewayRecipe(
        slug="cerebras",
        name="Cerebras",
        size=7,
        aliases=(),
        id_format="llama3.1-8b",
        ids=_bare_space(
            "cerebras",
            v.CEREBRAS_HEAD,
            (
                [f for f, _ in v.CEREBRAS_FAMILIES],
                ("8b", "17b", "32b", "70b", "120b", "235b"),
                ("", "-instruct", "-thinking"),
            ),
            _developer_of_family(v.CEREBRAS_FAMILIES),
        ),
        source_label="cerebras",
        pricing="all",
        contexts=(8192, 32768, 65536, 131072),
        describe=_hosted("Cerebras"),
        name_of=lambda model_id, developer: model_id.replace("-", " ").title(),
    ),
    _hf_gateway("novita", "Novita AI", 5, v.NOVITA_HEAD, contexts=(32768, 131072, 163840)),
)

# Gateways the catalog knows but the default registry does not list (registry-extra-gateway fault).
EXTRA_GATEWAYS: dict[str, GatewayRecipe] = {
    "aimo": GatewayRecipe(
        slug="aimo",
        name="AIMO Network",
        size=12,
        aliases=("aimo-network",),
        id_format="aimo/model",
        ids=IdSpace(
            tuple((x, _org_of(x.split("/", 1)[1].split("-", 1)[0])) for x in v.AIMO_HEAD),
            lambda k: (f"aimo/model-{k}", "aimo"),
        ),
        source_label="aimo",
        pricing="all",
        contexts=(8192, 32768),
        describe=_hosted("AIMO Network"),
    ),
}



def _first_party(slug: str, name: str, size: int, developer: str, head: Sequence[str],
                 families: Sequence[str], dates: Sequence[str], contexts: tuple[int, ...]) -> GatewayRecipe:
    """A provider's own API (anthropic, openai, ...): bare ids, a curated head, then `family-date` ids."""
    return GatewayRecipe(
        slug=slug,
        name=name,
        size=size,
        aliases=(),
        id_format=head[0],
        ids=_bare_space(slug, tuple((x, developer) for x in head), (families, dates),
                        lambda c: (f"{c[0]}-{c[1]}", developer)),
        source_label=slug,
        pricing="all",
        contexts=contexts,
        describe=_hosted(name),
        name_of=lambda model_id, dev: model_id.replace("-", " ").title(),
    )


# The 2026-08 registry (chutes and nebius gone), in its order, for the sparse shape, plus huggingface as the
# public backend's database registry still lists it (gatewayz-backend d4e0b0c6): a small catalog fetched under
# its alias `hug`, which is what the envelope echoes. Sizes meet contracts/gatewayz-staging.yaml (which does not
# cover huggingface): `all` serves 7,298 rows (floor 7,000).
_SPARSE_ORDER = ("anthropic", "fireworks", "google-vertex", "groq", "openai", "openrouter", "together", "alibaba",
                 "cerebras", "deepinfra", "featherless", "novita", "zai", "xai", "huggingface")
_FIRST_PARTY: tuple[GatewayRecipe, ...] = (
    _first_party("anthropic", "Anthropic", 10, "anthropic", v.ANTHROPIC_HEAD, v.ANTHROPIC_FAMILIES,
                 v.FIRST_PARTY_DATES, (200000, 1000000)),
    _first_party("openai", "OpenAI", 24, "openai", v.OPENAI_HEAD, v.OPENAI_FAMILIES, v.FIRST_PARTY_DATES,
                 (128000, 200000, 400000, 1047576)),
    _first_party("alibaba", "Alibaba Cloud", 18, "qwen", v.ALIBABA_HEAD, v.ALIBABA_FAMILIES, v.FIRST_PARTY_DATES,
                 (32768, 131072, 262144, 1000000)),
    _first_party("zai", "Z.AI", 6, "z-ai", v.ZAI_HEAD, v.ZAI_FAMILIES, v.FIRST_PARTY_DATES, (128000, 200000)),
)

# The sparse shape's huggingface: 30 rows, Arch-Router among them (the full shape's serves 1,204). Sparse rows
# serve their context length, so the sparse shape's have a known (positive) one throughout, deepinfra's too.
_SPARSE_REPLACED = {
    "huggingface": replace(
        next(spec for spec in GATEWAYS if spec.slug == "huggingface"),
        size=30,
        ids=_hf_space("huggingface", v.HUGGINGFACE_EXTRA + v.POPULAR),
        contexts=(4096, 8192, 32768),
    ),
    "deepinfra": replace(next(spec for spec in GATEWAYS if spec.slug == "deepinfra"),
                         contexts=(8192, 32768, 131072, 163840)),
}

SPECS: dict[str, GatewayRecipe] = {spec.slug: spec for spec in GATEWAYS}
ALIASES: dict[str, str] = {alias: spec.slug for spec in GATEWAYS for alias in spec.aliases}
AGGREGATE = "all"

FULL = "full"
SPARSE = "sparse"
_EVERY_SPEC: dict[str, GatewayRecipe] = {**SPECS, **{s.slug: s for s in _FIRST_PARTY}, **EXTRA_GATEWAYS}
# The gateways each shape serves, in registry order.
SHAPES: dict[str, tuple[GatewayRecipe, ...]] = {
    FULL: GATEWAYS,
    SPARSE: tuple(_SPARSE_REPLACED.get(slug) or _EVERY_SPEC[slug] for slug in _SPARSE_ORDER),
}
# What each shape's envelope echoes for a gateway, where that is not its canonical slug: the backend echoes the
# registry entry's fetch slug, which for huggingface is its alias (routes/catalog.py, d4e0b0c6).
ECHOES: dict[str, dict[str, str]] = {FULL: {}, SPARSE: {"huggingface": "hug"}}
# Rows each shape's health gating marks down (positions in the healthy catalog): the backend serves the catalog
# after gating (HEALTH_GATING_ENABLED defaults on) but counts a gateway's cached models before it in
# /v1/gateways/status. None is a required model.
DOWN: dict[str, dict[str, tuple[int, ...]]] = {FULL: {}, SPARSE: {"openrouter": (150, 250, 330), "fireworks": (33, 36)}}
# Gateways a shape serves that no fault may change: the sparse shape's huggingface is outside the contract that
# shape is held to (contracts/gatewayz-staging.yaml), so a fault there would change nothing the gate reads.
UNFAULTABLE: dict[str, frozenset[str]] = {FULL: frozenset(), SPARSE: frozenset({"huggingface"})}


def spec_of(slug: str) -> GatewayRecipe:
    """The spec of any gateway a shape or a fault may serve."""
    return _EVERY_SPEC[slug]


def check_shape(shape: str) -> str:
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; valid shapes: {', '.join(SHAPES)}")
    return shape


def row_factory(spec: GatewayRecipe) -> Callable[[int], Row]:
    """position -> model dict for one gateway."""
    salt = _salt(spec.slug)
    contexts = spec.contexts
    n_prices = len(_PRICE_PAIRS)

    def make(i: int) -> Row:
        model_id, developer = spec.ids.at(i)
        h = _mix(salt + i)
        context = contexts[h % len(contexts)]
        name = spec.name_of(model_id, developer)
        pricing: dict[str, str] | None = None
        if model_id.endswith(":free"):
            pricing = {"prompt": "0", "completion": "0", "request": "0", "image": "0"}
        elif spec.pricing == "all" or (spec.pricing == "sparse" and (h >> 16) % 150 == 0):
            prompt, completion = _PRICE_PAIRS[(h >> 8) % n_prices]
            pricing = {"prompt": prompt, "completion": completion, "request": "0", "image": "0"}
        row: Row = {
            "id": model_id,
            "name": name,
            "source_gateway": spec.source_label,
            "provider_slug": developer,
            "context_length": context,
            "pricing": pricing,
            "description": spec.describe(model_id, name, h, context),
            "modality": _modality(model_id),
            "created": _CREATED_START + (h >> 24) % _CREATED_SPAN,
            "is_active": True,
        }
        if spec.slug == "openrouter":
            row["supported_parameters"] = ["max_tokens", "temperature", "top_p", "stop", "tools"][: 2 + h % 4]
        elif spec.slug in ("huggingface", "featherless"):
            row["hugging_face_id"] = model_id
        return row

    return make


def build_gateway(spec: GatewayRecipe, size: int | None = None) -> Rows:
    return materialize(spec.size if size is None else size, row_factory(spec))


@dataclass(frozen=True)
class GeneratedCatalog:
    """The healthy catalog: every gateway's rows in registry order (`all` is their concatenation)."""

    gateways: Mapping[str, Rows]
    shape: str = FULL

    def aggregate(self) -> Rows:
        return ConcatRows(list(self.gateways.values()))

    def sizes(self) -> dict[str, int]:
        return {slug: len(rows) for slug, rows in self.gateways.items()}


def build_catalog(scale: Mapping[str, int] | None = None, shape: str = FULL) -> GeneratedCatalog:
    """A shape's gateways at their default sizes (full: 13, sparse: the 14 of the 2026-08 registry and huggingface),
    or resized (`{"featherless": 1_000_000}`) for benchmarks.

    Catalogs are cached per scale and shape: rows are immutable, so apps built in one process share them.
    """
    known = [spec.slug for spec in SHAPES[check_shape(shape)]]
    overrides = dict(scale or {})
    for slug, size in overrides.items():
        if slug not in known:
            raise ValueError(f"unknown gateway {slug!r} in scale; known: {', '.join(known)}")
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"scale for {slug!r} must be a non-negative int, got {size!r}")
    return _cached_catalog(tuple(sorted(overrides.items())), shape)


def warm_default_catalogs() -> None:
    """Build every shape's default catalog now (a process that forks suite runs does it once for all of them)."""
    for shape in SHAPES:
        build_catalog(shape=shape)


@lru_cache(maxsize=8)
def _cached_catalog(scale: tuple[tuple[str, int], ...], shape: str = FULL) -> GeneratedCatalog:
    sizes = dict(scale)
    gateways = {spec.slug: build_gateway(spec, sizes.get(spec.slug)) for spec in SHAPES[shape]}
    for rows in gateways.values():
        rows.warm()  # encode once here, so no request pays for it
    return GeneratedCatalog(gateways, shape)


def resolve_slug(value: str) -> str | None:
    """Canonical slug for a gateway name or alias (case-insensitive); None when unknown."""
    key = value.lower()
    if key in SPECS or key == AGGREGATE:
        return key
    return ALIASES.get(key)

"""The bureau's files in force: its rule settings (bdt.toml / bdt.yaml, toolkit.config) and its
waivers (bdt-waivers.yaml, toolkit.waivers) — one lookup for every front end (bdt validate, fill,
export, batch, serve, the Excel buttons).

    files = bureau_files(workbook, config=args.config, waivers=args.waivers)
    validate(d, config=files.config, waivers=files.waivers)

Precedence (unchanged from the front ends that each had their own lookup):
- rule settings: the explicit file (--config) if given; else the first of `toolkit.config.CONFIG_NAMES`
  in the workbook's folder (a folder given: in it), then its parents, up to a folder with `.git`, the
  home folder or `/` (`toolkit.config.find_config`: two in one folder is an error); else none (默认规则设置).
- waivers: the explicit file (--waivers) if given; else bdt-waivers.yaml in the workbook's folder (a
  folder given: in it; several inputs given, as to bdt batch: the first of them, in order, that has
  one; the folder's parents are not searched); else none.
- no place (a workbook not on disk, an upload without a folder): only the explicit files.

Errors are the loaders' own, unchanged: `toolkit.config.ConfigError` (a ValueError naming file, key
and line) and `toolkit.waivers.WaiverError` (a UserError naming the file and the entry); a front end
prints `错误：{message}` and exits 2. `locate` gives the paths only (for work sent to other
processes, which load them there with `bureau_files(None, config=…, waivers=…)`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)

if TYPE_CHECKING:
    from .config import Config, InForce
    from .waivers import Waivers


@dataclass(frozen=True)
class BureauFiles:
    """The rule settings and the waivers in force (each None when there is none)."""

    config: Config | None = None
    waivers: Waivers | None = None

    def in_force(self, d=None) -> InForce:
        """The settings for this workbook's department (what reports print; DEFAULT without a file)."""
        from .config import in_force

        return in_force(self.config, d)


def _places(where) -> list[Path]:
    if where is None:
        return []
    if isinstance(where, (str, Path)):
        return [Path(where)]
    return [Path(w) for w in where]


def locate(where=None, config=None, waivers=None) -> tuple[Path | None, Path | None]:
    """(rule settings file, waiver file) in force for `where` — a workbook, a folder, several inputs
    or None — with the explicit files first (see the module's docstring). Paths only: nothing read
    but the folders' listings (a ConfigError for two configuration files in one folder)."""
    from .config import find_config
    from .waivers import WAIVERS_FILE

    places = _places(where)
    cfg = Path(config) if config else None
    if cfg is None and len(places) == 1:
        cfg = find_config(places[0])
    wv = Path(waivers) if waivers else None
    if wv is None:
        several = not isinstance(where, (str, Path))
        for p in places:
            if several and not p.exists():  # an input of a batch that is a glob pattern, or missing
                continue
            f = (p if p.is_dir() else p.parent) / WAIVERS_FILE
            if f.is_file():
                wv = f
                break
    return cfg, wv


def bureau_files(where=None, config=None, waivers=None, *, with_waivers: bool = True) -> BureauFiles:
    """The rule settings and waivers in force for `where` (see `locate`), read and checked (the
    settings first). `with_waivers=False`: the settings only (bdt fill, which reports no findings,
    never reads a waiver file). Raises ConfigError / WaiverError with the Chinese message naming the file."""
    cfg, wv = locate(where, config, waivers)
    wv = wv if with_waivers else None
    loaded_config = loaded_waivers = None
    if cfg is not None:
        from .config import load_config

        loaded_config = load_config(cfg)
    if wv is not None:
        from .waivers import Waivers

        loaded_waivers = Waivers.load(wv)
    return BureauFiles(loaded_config, loaded_waivers)


__all__ = ["BureauFiles", "bureau_files", "locate"]

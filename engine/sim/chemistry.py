"""Aqueous acid-base chemistry at 25 °C: solutions, mixing, pH and indicator colours.

A :class:`Solution` keeps the *analytical* amount of every substance put into it (moles of
HCl, of NaOH, ...), never a pre-reacted composition, so mixing is just adding moles and
volumes. The pH is then solved from the charge balance

    [H+] - Kw/[H+] + Σ spectator ions (±) + Σ_systems C·(z0 - n̄([H+])) = 0

where a *system* is a weak acid-base family (acetic acid/acetate, ammonium/ammonia, ...)
with its fully protonated charge z0 and its Ka values, and n̄ the mean number of protons it has
lost at that [H+]. The left side rises strictly with [H+], so there is exactly one root, found
by Brent's method in log[H+]. Activities are taken as concentrations (ideal dilute solution)
and volumes as additive.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: ion product of water at 25 °C
KW = 1e-14

#: volumes below this (litres) count as empty: what is left after pouring everything out
_EMPTY_VOLUME = 1e-15

RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class AcidBaseSystem:
    """A family of species linked by proton transfer, e.g. CH3COOH / CH3COO-.

    Attributes:
        name: identifier of the family.
        z0: charge of the fully protonated form (0 for CH3COOH, +1 for NH4+).
        log_ka: log10 of each successive Ka, strongest first.
    """

    name: str
    z0: int
    log_ka: tuple[float, ...]

    @property
    def pkas(self) -> tuple[float, ...]:
        """The pKa values, strongest acid first."""
        return tuple(-x for x in self.log_ka)


@dataclass(frozen=True)
class Species:
    """A substance an author can put in a container.

    Attributes:
        name: the formula authors write (``"HCl"``, ``"CH3COOH"``).
        title: a readable name for panels and the docs.
        kind: "strong acid", "weak base", "salt", ...
        spectator_charge: net charge of the ions it releases that take no part in proton
            transfer (Cl- gives -1, Na+ gives +1), per mole.
        system: the acid-base family it adds one mole of per mole, if any.
    """

    name: str
    title: str
    kind: str
    spectator_charge: float = 0.0
    system: AcidBaseSystem | None = None

    @property
    def acid_equivalents(self) -> float:
        """Protons per mole it gives to (+) or takes from (-) a strong base/acid in a titration.

        Counted against the reference state of water at pH 7: each weak system is taken to
        end as the form that predominates there, so acetic acid counts +1, ammonia -1, and the
        salts sodium acetate and ammonium chloride 0.
        """
        reference_charge = self.spectator_charge
        if self.system is not None:
            lost_at_ph7 = sum(1 for pka in self.system.pkas if pka < 7.0)
            reference_charge += self.system.z0 - lost_at_ph7
        # A neutral substance = its reference ions + k protons, so k = -(reference charge).
        return -reference_charge


def _build_species() -> Mapping[str, Species]:
    acetate = AcidBaseSystem("acetate", 0, (math.log10(1.8e-5),))
    fluoride = AcidBaseSystem("fluoride", 0, (math.log10(6.8e-4),))
    formate = AcidBaseSystem("formate", 0, (math.log10(1.8e-4),))
    # NH4+ is the protonated form: Ka = Kw / Kb(NH3) with Kb = 1.8e-5.
    ammonium = AcidBaseSystem("ammonium", 1, (math.log10(KW / 1.8e-5),))
    # H2SO4's first proton is strong (Ka1 ~ 1e3); HSO4- is a moderately weak acid (pKa2 1.99).
    sulfate = AcidBaseSystem("sulfate", 0, (3.0, math.log10(1.0e-2)))
    rows = [
        Species("HCl", "hydrochloric acid", "strong acid", -1.0),
        Species("HNO3", "nitric acid", "strong acid", -1.0),
        Species("H2SO4", "sulfuric acid", "strong acid", 0.0, sulfate),
        Species("NaOH", "sodium hydroxide", "strong base", +1.0),
        Species("KOH", "potassium hydroxide", "strong base", +1.0),
        Species("CH3COOH", "acetic acid", "weak acid", 0.0, acetate),
        Species("HCOOH", "formic acid", "weak acid", 0.0, formate),
        Species("HF", "hydrofluoric acid", "weak acid", 0.0, fluoride),
        Species("NH3", "ammonia", "weak base", 0.0, ammonium),
        Species("NaCl", "sodium chloride", "salt", 0.0),
        Species("KCl", "potassium chloride", "salt", 0.0),
        Species("KNO3", "potassium nitrate", "salt", 0.0),
        Species("CH3COONa", "sodium acetate", "salt", +1.0, acetate),
        Species("NH4Cl", "ammonium chloride", "salt", -1.0, ammonium),
    ]
    return MappingProxyType({s.name: s for s in rows})


#: formula -> species, every substance a lesson may use
SPECIES: Mapping[str, Species] = _build_species()

#: other spellings authors use -> formula
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "hydrochloric_acid": "HCl",
        "nitric_acid": "HNO3",
        "sulfuric_acid": "H2SO4",
        "sodium_hydroxide": "NaOH",
        "potassium_hydroxide": "KOH",
        "acetic_acid": "CH3COOH",
        "ethanoic_acid": "CH3COOH",
        "AcOH": "CH3COOH",
        "formic_acid": "HCOOH",
        "hydrofluoric_acid": "HF",
        "ammonia": "NH3",
        "sodium_chloride": "NaCl",
        "potassium_chloride": "KCl",
        "potassium_nitrate": "KNO3",
        "sodium_acetate": "CH3COONa",
        "NaCH3COO": "CH3COONa",
        "ammonium_chloride": "NH4Cl",
    }
)


def species(name: str) -> Species:
    """Look up a substance by formula or alias (``"HCl"``, ``"acetic acid"``).

    Raises:
        ValueError: unknown substance; the message lists the known formulas.
    """
    if name in SPECIES:
        return SPECIES[name]
    key = name.strip().replace(" ", "_").replace("-", "_")
    for alias, formula in ALIASES.items():
        if alias.lower() == key.lower():
            return SPECIES[formula]
    raise ValueError(f"unknown substance '{name}'; known: {', '.join(SPECIES)}")


# --- solutions --------------------------------------------------------------------------------


@dataclass
class Solution:
    """Some aqueous solution: a volume and the amount of each substance dissolved in it.

    Attributes:
        volume: litres (≥ 0).
        moles: formula -> moles added (analytical amounts, not the equilibrium speciation).
        indicator: name of the acid-base indicator in it, if any.
    """

    volume: float = 0.0
    moles: dict[str, float] = field(default_factory=dict)
    indicator: str | None = None

    def __post_init__(self) -> None:
        if not self.volume >= 0.0:
            raise ValueError(f"volume must be ≥ 0, got {self.volume}")
        resolved: dict[str, float] = {}
        for name, amount in self.moles.items():
            if not amount >= 0.0:
                raise ValueError(f"amount of {name} must be ≥ 0, got {amount}")
            formula = species(name).name
            resolved[formula] = resolved.get(formula, 0.0) + float(amount)
        self.moles = resolved
        self.volume = float(self.volume)
        if self.indicator is not None:
            self.indicator = indicator_name(self.indicator)

    @classmethod
    def from_concentrations(
        cls,
        volume: float,
        solutes: Mapping[str, float] | None = None,
        indicator: str | None = None,
    ) -> Solution:
        """Make a solution as lessons describe one (``Liquid``): volume and concentrations.

        Args:
            volume: litres.
            solutes: formula (or alias) -> concentration in mol/L.
            indicator: indicator name, if any.
        """
        moles = {name: c * volume for name, c in (solutes or {}).items()}
        return cls(volume, moles, indicator)

    @classmethod
    def _checked(cls, volume: float, moles: dict[str, float], indicator: str | None) -> Solution:
        """A solution from parts already checked and resolved (a portion of a valid one).

        A running burette takes a portion every tick; validating and resolving its
        formulas again each time cost more than the transfer itself.
        """
        made = cls.__new__(cls)
        made.volume, made.moles, made.indicator = volume, moles, indicator
        return made

    @property
    def empty(self) -> bool:
        """True when there is no liquid to speak of."""
        return self.volume <= _EMPTY_VOLUME

    def copy(self) -> Solution:
        """An independent copy."""
        return Solution(self.volume, dict(self.moles), self.indicator)

    def concentration(self, name: str) -> float:
        """Analytical concentration of a substance in mol/L (0 when absent or empty)."""
        if self.empty:
            return 0.0
        return self.moles.get(species(name).name, 0.0) / self.volume

    def concentrations(self) -> dict[str, float]:
        """Formula -> analytical concentration in mol/L of everything dissolved."""
        if self.empty:
            return {name: 0.0 for name in self.moles}
        return {name: n / self.volume for name, n in self.moles.items()}

    def add(self, name: str, moles: float) -> None:
        """Dissolve a pure substance (a pellet, a gas) without changing the volume."""
        if not moles >= 0.0:
            raise ValueError(f"amount must be ≥ 0, got {moles}")
        formula = species(name).name
        self.moles[formula] = self.moles.get(formula, 0.0) + moles

    def take(self, volume: float) -> Solution:
        """Remove ``volume`` litres (at most all of it) and return them as a new solution."""
        if not volume >= 0.0:
            raise ValueError(f"volume must be ≥ 0, got {volume}")
        if self.empty or volume <= 0.0:
            return Solution._checked(0.0, {}, self.indicator)
        if volume >= self.volume * (1.0 - 1e-12):
            # Pouring it all out must leave exactly nothing, not 1e-19 L of strong acid.
            taken = Solution._checked(self.volume, self.moles, self.indicator)
            self.volume, self.moles = 0.0, {}
            return taken
        fraction = volume / self.volume
        portion = {name: n * fraction for name, n in self.moles.items()}
        for name, n in portion.items():
            self.moles[name] -= n
        self.volume -= volume
        return Solution._checked(float(volume), portion, self.indicator)

    def pour_in(self, other: Solution) -> None:
        """Add all of ``other`` to this solution (``other`` is left unchanged).

        An indicator comes along if this solution has none; if both have one, this one's wins.
        """
        self.volume += other.volume
        for name, n in other.moles.items():
            self.moles[name] = self.moles.get(name, 0.0) + n
        if self.indicator is None:
            self.indicator = other.indicator

    def ph(self) -> float:
        """The pH (see :func:`ph`)."""
        return ph(self)

    def rgba(self) -> RGBA:
        """The colour of the liquid, from its indicator and pH."""
        return indicator_rgba(self.indicator, self.ph())

    def properties(self) -> dict[str, float]:
        """The values lessons refer to as ``<container>.<name>``.

        Returns:
            volume (L), ph (nan when empty), and each solute's concentration (mol/L) under
            its formula.
        """
        values = {"volume": self.volume, "ph": self.ph()}
        values.update(self.concentrations())
        return values


def mix(*solutions: Solution) -> Solution:
    """A new solution holding all of the given ones; the inputs are left unchanged."""
    result = Solution()
    for solution in solutions:
        result.pour_in(solution)
    return result


def transfer(source: Solution, destination: Solution, volume: float) -> float:
    """Pour ``volume`` litres from ``source`` into ``destination`` (at most all there is).

    Returns:
        The volume actually moved, in litres.
    """
    portion = source.take(volume)
    destination.pour_in(portion)
    return portion.volume


# --- pH -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Composition:
    """What the charge balance needs: spectator charge and systems, as concentrations."""

    spectator: float
    systems: tuple[tuple[float, int, tuple[float, ...]], ...]  # (C, z0, cumulative log10 Ka)

    @staticmethod
    def of(moles: Mapping[str, float], volume: float) -> _Composition:
        spectator = 0.0
        totals: dict[AcidBaseSystem, float] = {}
        for name, n in moles.items():
            s = SPECIES[name]
            spectator += s.spectator_charge * n
            if s.system is not None:
                totals[s.system] = totals.get(s.system, 0.0) + n
        systems = []
        for system, n in totals.items():
            if n > 0.0:
                cumulative = tuple(sum(system.log_ka[: i + 1]) for i in range(len(system.log_ka)))
                systems.append((n / volume, system.z0, cumulative))
        return _Composition(spectator / volume, tuple(systems))

    def charge(self, log_h: float) -> float:
        """Net charge concentration (mol/L) at [H+] = 10**log_h; rises with log_h."""
        h = 10.0**log_h
        total = h - KW / h + self.spectator
        for conc, z0, cumulative in self.systems:
            # Fractions of each protonation level, scaled in log space so that neither a
            # Ka of 1e3 nor one of 1e-13 can overflow.
            logs = [0.0] + [c - (i + 1) * log_h for i, c in enumerate(cumulative)]
            top = max(logs)
            weights = [10.0 ** (x - top) for x in logs]
            mean_lost = sum(i * w for i, w in enumerate(weights)) / sum(weights)
            total += conc * (z0 - mean_lost)
        return total


def _solve_ph(composition: _Composition) -> float:
    f = composition.charge
    low, high = -16.0, 2.0  # log[H+]: pH 16 ... pH -2
    for _ in range(40):
        if f(low) <= 0.0:
            break
        low -= 2.0
    for _ in range(40):
        if f(high) >= 0.0:
            break
        high += 2.0
    return -_brentq(f, low, high, xtol=1e-12)


def ph(solution: Solution) -> float:
    """The pH of a solution, from its charge balance.

    Args:
        solution: the solution.

    Returns:
        The pH; exactly 7.00 for pure water; ``nan`` for an empty container (no liquid, no pH).
    """
    if solution.empty:
        return math.nan
    # the key keeps the order of the moles, which the sums in the charge balance follow
    return _ph_of(tuple(solution.moles.items()), solution.volume)


@functools.lru_cache(maxsize=1 << 16)
def _ph_of(moles: tuple[tuple[str, float], ...], volume: float) -> float:
    """The pH for given amounts, memoised: a burette running at a fixed flow walks every
    learner's flask through the same compositions, and a root solve costs ~170 us."""
    return _solve_ph(_Composition.of(dict(moles), volume))


def _brentq(f: Callable[[float], float], xa: float, xb: float, xtol: float) -> float:
    """Brent's root finder (as in SciPy's ``brentq``) on a bracket with a sign change."""
    rtol = 4.0 * 2.220446049250313e-16
    xpre, xcur = xa, xb
    fpre, fcur = f(xpre), f(xcur)
    if fpre == 0.0:
        return xpre
    if fcur == 0.0:
        return xcur
    if (fpre > 0.0) == (fcur > 0.0):
        raise ValueError("the pH bracket holds no root")
    xblk = fblk = spre = scur = 0.0
    for _ in range(200):
        if fpre != 0.0 and fcur != 0.0 and (fpre > 0.0) != (fcur > 0.0):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = 0.5 * (xtol + rtol * abs(xcur))
        sbis = 0.5 * (xblk - xcur)
        if fcur == 0.0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:
                stry = -fcur * (xcur - xpre) / (fcur - fpre)  # secant
            else:
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2.0 * abs(stry) < min(abs(spre), 3.0 * abs(sbis) - delta):
                spre, scur = scur, stry  # interpolation accepted
            else:
                spre = scur = sbis
        else:
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > delta else (delta if sbis > 0.0 else -delta)
        fcur = f(xcur)
    return xcur


# --- titration ----------------------------------------------------------------------------------


def titration_curve(
    analyte: Solution, titrant: Solution, volumes: Iterable[float] | np.ndarray
) -> np.ndarray:
    """The pH of ``analyte`` after each volume of ``titrant`` has been added to it.

    Args:
        analyte: the solution in the flask (not changed).
        titrant: the solution in the burette (only its concentrations matter).
        volumes: titrant volumes added, litres.

    Returns:
        A float array of pH values, one per volume.
    """
    import numpy as np  # kept local: the package must import without numpy's start-up cost

    added = np.asarray(volumes, dtype=float)
    titrant_conc = titrant.concentrations()
    out = np.empty(added.shape, dtype=float)
    for index, v in np.ndenumerate(added):
        mixture = analyte.copy()
        mixture.volume += float(v)
        for name, c in titrant_conc.items():
            mixture.moles[name] = mixture.moles.get(name, 0.0) + c * float(v)
        out[index] = ph(mixture)
    return out


def acid_equivalents(solution: Solution) -> float:
    """Moles of protons the solution gives to a strong base (negative: takes from an acid)."""
    return sum(SPECIES[name].acid_equivalents * n for name, n in solution.moles.items())


def equivalence_volume(analyte: Solution, titrant: Solution) -> float:
    """The titrant volume (litres) that exactly neutralises the analyte, stoichiometrically.

    Raises:
        ValueError: the titrant does not neutralise the analyte (both acidic, both basic,
            or either neutral).
    """
    need = acid_equivalents(analyte)
    per_litre = -acid_equivalents(titrant) / titrant.volume if not titrant.empty else 0.0
    if need == 0.0 or per_litre == 0.0 or (need > 0.0) != (per_litre > 0.0):
        raise ValueError("the titrant does not neutralise the analyte")
    return need / per_litre


# --- indicators -------------------------------------------------------------------------------

#: untinted water, slightly blue and mostly see-through
WATER_RGBA: RGBA = (0.82, 0.90, 0.98, 0.25)


@dataclass(frozen=True)
class Indicator:
    """An acid-base indicator: colour stops along the pH scale, blended between them.

    Attributes:
        name: the name lessons use.
        stops: (pH, rgba) pairs in increasing pH; flat beyond the ends.
    """

    name: str
    stops: tuple[tuple[float, RGBA], ...]

    def rgba(self, ph_value: float) -> RGBA:
        """The colour at a pH."""
        stops = self.stops
        if ph_value <= stops[0][0]:
            return stops[0][1]
        for (p0, c0), (p1, c1) in itertools.pairwise(stops):
            if ph_value <= p1:
                t = (ph_value - p0) / (p1 - p0)
                t = t * t * (3.0 - 2.0 * t)  # smoothstep: no visible kink at the stops
                return (
                    c0[0] + (c1[0] - c0[0]) * t,
                    c0[1] + (c1[1] - c0[1]) * t,
                    c0[2] + (c1[2] - c0[2]) * t,
                    c0[3] + (c1[3] - c0[3]) * t,
                )
        return stops[-1][1]


INDICATORS: Mapping[str, Indicator] = MappingProxyType(
    {
        "phenolphthalein": Indicator(
            "phenolphthalein", ((8.2, WATER_RGBA), (10.0, (0.93, 0.16, 0.55, 0.70)))
        ),
        "bromothymol_blue": Indicator(
            "bromothymol_blue",
            (
                (6.0, (0.93, 0.82, 0.12, 0.60)),  # yellow
                (6.8, (0.30, 0.66, 0.28, 0.60)),  # green
                (7.6, (0.12, 0.32, 0.82, 0.65)),  # blue
            ),
        ),
        "methyl_orange": Indicator(
            "methyl_orange",
            ((3.1, (0.86, 0.12, 0.10, 0.60)), (4.4, (0.98, 0.72, 0.12, 0.60))),  # red, yellow
        ),
    }
)


def indicator_name(name: str) -> str:
    """The canonical name of an indicator (``"Bromothymol blue"`` -> ``bromothymol_blue``).

    Raises:
        ValueError: unknown indicator; the message lists the known ones.
    """
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in INDICATORS:
        raise ValueError(f"unknown indicator '{name}'; known: {', '.join(INDICATORS)}")
    return key


def indicator_rgba(name: str | None, ph_value: float) -> RGBA:
    """The colour of a solution holding indicator ``name`` at a pH, as RGBA floats in 0-1.

    Args:
        name: indicator name, or None for no indicator.
        ph_value: the pH; nan (an empty container) gives the plain water tint.

    Raises:
        ValueError: unknown indicator.
    """
    if name is None:
        return WATER_RGBA
    indicator = INDICATORS[indicator_name(name)]
    if math.isnan(ph_value):
        return WATER_RGBA
    return indicator.rgba(ph_value)

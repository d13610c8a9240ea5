"""The formats: a renderer and a parser per format, side by side (one subpackage each where a
format outgrows one module), the contract they share (:mod:`ccsec.formats.base`), what the
importers learn about a device (:mod:`ccsec.formats.facts`) and the table of them all
(:mod:`ccsec.formats.registry`)."""

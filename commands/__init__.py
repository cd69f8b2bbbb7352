"""The jobs behind the commands: analyze, mapper, mapper-gnn, singularity, train.

Each job uses the engine (:mod:`tda_pipe.pipelines`: specs, stages, runner, cache, results
folders); the engine never imports a job. The stages a job adds (``load`` ... ``report`` in
:mod:`~tda_pipe.commands.stages`, ``mapper``, ``singularity``, ``autoencoder``) register like a
plug-in's, declared by name in ``pyproject.toml``, so a pipeline imports only what it names.
Each job's options are declared once, in :mod:`~tda_pipe.commands.options` (one pydantic model
per job): the command line's flags, help texts and defaults, the stage's parameters and their
checks come from it.
"""

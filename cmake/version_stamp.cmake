# Writes ${OUT}: the version and the git commit `switchyard --version` prints.
# Run at every build (a target of its own); the file changes only when the
# commit does, so nothing rebuilds otherwise. Outside a git checkout: "unknown".
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE commit
                ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE failed)
if(failed OR commit STREQUAL "")
  set(commit "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE dirty
                ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT dirty STREQUAL "" AND NOT commit STREQUAL "unknown")
  set(commit "${commit}-modified")
endif()
set(text "#pragma once\n#define SWITCHYARD_VERSION \"${VERSION}\"\n#define SWITCHYARD_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()

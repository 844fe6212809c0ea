# cmake -DPAIRS="built.md=checked-in.md|..." -P NormCheckDocs.cmake
# Fails when a checked-in generated doc differs from the freshly built one.
string(REPLACE "|" ";" PAIRS "${PAIRS}")
set(stale "")
foreach(pair IN LISTS PAIRS)
  string(REPLACE "=" ";" files "${pair}")
  list(GET files 0 built)
  list(GET files 1 checked_in)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                  "${built}" "${checked_in}" RESULT_VARIABLE different)
  if(different)
    list(APPEND stale "${checked_in}")
  endif()
endforeach()
if(stale)
  list(JOIN stale "\n  " stale)
  message(FATAL_ERROR "Stale generated docs (run `ninja norm-doc` and commit):\n  ${stale}")
endif()

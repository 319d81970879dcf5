# sm_modules_included(<out-var> <source files...>): the sm_<module> targets whose headers the
# sources include ("#include \"store/database.h\"" -> sm_store). Programs and test programs link
# exactly what they include, so one module's unfinished code never breaks another's build.
function(sm_modules_included out)
  set(found)
  foreach(source ${ARGN})
    # Re-run cmake when the source changes, since its includes decide what it links.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
    file(STRINGS ${source} lines REGEX "^#include \"[a-z_]+/")
    foreach(line ${lines})
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" module "${line}")
      if(TARGET sm_${module})
        list(APPEND found sm_${module})
      endif()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES found)
  set(${out} ${found} PARENT_SCOPE)
endfunction()

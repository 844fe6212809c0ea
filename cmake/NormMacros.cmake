# Helpers shared by the project's CMake files.

# add_norm_library(name SRCS... [DEPENDS tgts...] [LINK_LIBS libs...])
# A static library linked against the shared libMLIR.so (one copy of MLIR in
# every process, also when loaded as a plugin into Debian's mlir-opt), exported
# in the installed CMake package.
function(add_norm_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  target_compile_features(${name} PUBLIC cxx_std_17)
  # Instrumented archives need the sanitizer runtimes wherever they are
  # linked, also in a consumer of the installed package.
  if(NORM_ENABLE_SANITIZERS)
    target_link_options(${name} INTERFACE -fsanitize=address,undefined)
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS ${name} EXPORT NormTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  # NormConfig.cmake adds MLIR's include directories to these (the imported
  # MLIR/LLVM targets carry none).
  set_property(GLOBAL APPEND PROPERTY NORM_EXPORTED_LIBS ${name})
endfunction()

# add_norm_doc(td output.md tblgen-flags...)
# Generates markdown from ODS into the build tree and adds it to the norm-doc
# target, which copies it into the source tree's docs/ (checked in).
function(add_norm_doc td output)
  set(LLVM_TARGET_DEFINITIONS ${td})
  tablegen(MLIR ${output} ${ARGN})
  get_filename_component(stem ${output} NAME_WE)
  set(dst ${PROJECT_SOURCE_DIR}/docs/generated/${output})
  # Always compares (a checked-in file may be newer than the built one).
  add_custom_target(norm-doc-${stem}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different
            ${CMAKE_CURRENT_BINARY_DIR}/${output} ${dst}
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${output})
  if(NOT TARGET norm-doc)
    add_custom_target(norm-doc)
  endif()
  add_dependencies(norm-doc norm-doc-${stem})
  # For norm-doc-check (docs/CMakeLists.txt): the build-tree markdown only.
  add_custom_target(norm-doc-${stem}-gen
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${output})
  set_property(GLOBAL APPEND PROPERTY NORM_DOC_TARGETS norm-doc-${stem}-gen)
  set_property(GLOBAL APPEND PROPERTY NORM_DOC_PAIRS
    "${CMAKE_CURRENT_BINARY_DIR}/${output}=${dst}")
endfunction()

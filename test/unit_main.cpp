// The unit test executable's module (its main): every file of `unit_test` in test/CMakeLists.txt adds its cases.
#define BOOST_TEST_MODULE switchyard_unit
#include <boost/test/unit_test.hpp>

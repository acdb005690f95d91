#pragma once
// A test CA and a server certificate for "localhost" (DNS:localhost only),
// made at test time with the openssl command-line tool in a temporary directory.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace switchyard::test {

struct TestPki {
  std::filesystem::path dir;
  TestPki() {
    char tmpl[] = "/tmp/switchyard-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    const std::string d = dir.string();
    const std::string script =
        "set -e; cd '" + d + "'; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 "
        "-subj '/CN=Switchyard Test CA' -addext 'basicConstraints=critical,CA:TRUE' "
        "-addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null; "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
        "-subj '/CN=localhost' 2>/dev/null; "
        "printf 'subjectAltName=DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf; "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 "
        "-extfile ext.cnf 2>/dev/null";
    BOOST_REQUIRE_MESSAGE(std::system(script.c_str()) == 0, "openssl could not make the test certificates");
  }
  ~TestPki() { std::filesystem::remove_all(dir); }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  std::string file(const char* name) const { return (dir / name).string(); }
};

}  // namespace switchyard::test

// fipsctl keygen / identity: key material without a daemon.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/keyfile.h"
#include "fipsctl.h"
#include "identity/identity.h"
#include "util/hex.h"

namespace fipsctl {
namespace {

using namespace fips;

constexpr const char* kDefaultKeyDir = "/etc/fips";

void print_peer(const PeerIdentity& p) {
  std::printf("npub: %s\n", p.npub().c_str());
  std::printf("pubkey: %s\n", to_hex(p.xonly()).c_str());
  std::printf("node_addr: %s\n", p.node_addr().hex().c_str());
  std::printf("ipv6_addr: %s\n", p.address().str().c_str());
}

}  // namespace

int cmd_keygen(const Args& args) {
  std::string dir = kDefaultKeyDir;
  bool force = false, to_stdout = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-d" || a == "--dir") {
      if (i + 1 >= args.size())
        return usage_error("a value is required for '--dir <DIR>' but none was supplied",
                           "fipsctl keygen [OPTIONS]");
      dir = args[++i];
    } else if (a.rfind("--dir=", 0) == 0) {
      dir = a.substr(6);
    } else if (a == "-f" || a == "--force") {
      force = true;
    } else if (a == "-s" || a == "--stdout") {
      to_stdout = true;
    } else if (a == "-h" || a == "--help") {
      std::puts(
          "Generate a new FIPS identity keypair locally\n\n"
          "Usage: fipsctl keygen [OPTIONS]\n\n"
          "Options:\n"
          "  -d, --dir <DIR>  Output directory for fips.key and fips.pub [default: /etc/fips]\n"
          "  -f, --force      Overwrite existing key files\n"
          "  -s, --stdout     Print nsec then npub to stdout instead of writing files");
      return 0;
    } else {
      return usage_error("unexpected argument '" + a + "' found", "fipsctl keygen [OPTIONS]");
    }
  }

  Identity id = Identity::generate();
  std::string nsec = id.nsec();
  const std::string npub = id.npub();
  if (to_stdout) {
    std::printf("%s\n%s\n", nsec.c_str(), npub.c_str());
    secure_wipe(nsec.data(), nsec.size());
    return 0;
  }
  const std::string key_path = dir + "/" + kKeyFilename;
  const std::string pub_path = dir + "/" + kPubFilename;
  struct stat st {};
  if (::lstat(key_path.c_str(), &st) == 0 && !force) {
    std::fprintf(stderr, "error: key file already exists: %s\nUse --force to overwrite.\n",
                 key_path.c_str());
    return 1;
  }
  if (auto r = make_dirs(dir); !r) {
    std::fprintf(stderr, "error: %s\n", r.error().c_str());
    return 1;
  }
  auto w = write_key_file(key_path, nsec);
  secure_wipe(nsec.data(), nsec.size());
  if (!w) {
    std::fprintf(stderr, "error: failed to write key file: %s\n", w.error().c_str());
    return 1;
  }
  if (auto p = write_pub_file(pub_path, npub); !p)
    std::fprintf(stderr, "warning: failed to write pub file: %s\n", p.error().c_str());
  std::fprintf(stderr,
               "%s\nKey files written to: %s/\n\n"
               "NOTE: Set 'node.identity.persistent: true' in fips.yaml\n"
               "      or these keys will be overwritten on next daemon start.\n",
               npub.c_str(), dir.c_str());
  return 0;
}

int cmd_identity(const Args& args) {
  bool as_pubkey = false;
  std::string key;
  for (const std::string& a : args) {
    if (a == "--pubkey")
      as_pubkey = true;
    else if (a == "-h" || a == "--help") {
      std::puts(
          "Show npub, node_addr and IPv6 address for a key\n\n"
          "Usage: fipsctl identity [--pubkey] <KEY>\n\n"
          "Arguments:\n"
          "  <KEY>  nsec, npub or hex key (64 hex = secret unless --pubkey, 66 hex = compressed\n"
          "         public key)\n\n"
          "Options:\n"
          "      --pubkey  Treat 64 hex characters as an x-only public key\n"
          "  -h, --help    Print help");
      return 0;
    } else if (key.empty())
      key = a;
    else {
      return usage_error("unexpected argument '" + a + "' found",
                         "fipsctl identity [--pubkey] <KEY>");
    }
  }
  if (key.empty())
    return usage_error("the following required arguments were not provided:\n  <KEY>",
                       "fipsctl identity [--pubkey] <KEY>");
  const bool looks_public =
      key.rfind("npub1", 0) == 0 || key.size() == 66 || (as_pubkey && key.size() == 64);
  if (looks_public) {
    auto p = PeerIdentity::parse(key);
    if (!p) {
      std::fprintf(stderr, "error: %s\n", p.error().message().c_str());
      return 1;
    }
    print_peer(*p);
    return 0;
  }
  auto id = Identity::from_secret_str(key);
  if (!id) {
    std::fprintf(stderr, "error: %s\n", id.error().message().c_str());
    return 1;
  }
  std::string nsec = id->nsec();
  std::printf("nsec: %s\n", nsec.c_str());
  secure_wipe(nsec.data(), nsec.size());
  print_peer(id->as_peer());
  return 0;
}

}  // namespace fipsctl

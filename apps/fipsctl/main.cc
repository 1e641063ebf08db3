// fipsctl: the operator's command-line client. Flags and output follow the
// reference's fipsctl (docs/reference/cli-fipsctl.md).
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "config/keyfile.h"
#include "identity/identity.h"
#include "util/hex.h"
#include "version.h"

namespace {

using namespace fips;

constexpr const char* kDefaultKeyDir = "/etc/fips";

int usage(FILE* out, int code) {
  std::fputs(
      "Usage: fipsctl [-s SOCKET] <COMMAND>\n"
      "\n"
      "Commands:\n"
      "  keygen [-d DIR] [-f] [-s]   Generate an identity keypair (fips.key, fips.pub)\n"
      "  identity [--pubkey] <KEY>   Show npub, node_addr and IPv6 address for an\n"
      "                              nsec, npub or hex key (64 hex = secret unless --pubkey,\n"
      "                              66 hex = compressed public key)\n"
      "\n"
      "Options:\n"
      "  -s, --socket <PATH>  Control socket path\n"
      "  -h, --help           Print help\n"
      "  -V, --version        Print version\n",
      out);
  return code;
}

int cmd_keygen(const std::vector<std::string>& args) {
  std::string dir = kDefaultKeyDir;
  bool force = false, to_stdout = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-d" || a == "--dir") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "error: a value is required for '--dir <DIR>'\n");
        return 2;
      }
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
      std::fprintf(stderr, "error: unexpected argument '%s' found\n", a.c_str());
      return 2;
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

void print_peer(const PeerIdentity& p) {
  std::printf("npub: %s\n", p.npub().c_str());
  std::printf("pubkey: %s\n", to_hex(p.xonly()).c_str());
  std::printf("node_addr: %s\n", p.node_addr().hex().c_str());
  std::printf("ipv6_addr: %s\n", p.address().str().c_str());
}

int cmd_identity(const std::vector<std::string>& args) {
  bool as_pubkey = false;
  std::string key;
  for (const std::string& a : args) {
    if (a == "--pubkey") as_pubkey = true;
    else if (a == "-h" || a == "--help") return usage(stdout, 0);
    else if (key.empty()) key = a;
    else {
      std::fprintf(stderr, "error: unexpected argument '%s' found\n", a.c_str());
      return 2;
    }
  }
  if (key.empty()) {
    std::fprintf(stderr, "error: the following required arguments were not provided: <KEY>\n");
    return 2;
  }
  const bool looks_public = key.rfind("npub1", 0) == 0 || key.size() == 66 ||
                            (as_pubkey && key.size() == 64);
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string socket_path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") return usage(stdout, 0);
    if (a == "-V" || a == "--version") {
      std::printf("fipsctl %s\n", FIPS_VERSION_STRING);
      return 0;
    }
    if (a == "-s" || a == "--socket") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "error: a value is required for '--socket <SOCKET>'\n");
        return 2;
      }
      socket_path = args[++i];
      continue;
    }
    break;
  }
  if (i >= args.size()) return usage(stderr, 2);
  const std::string cmd = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  if (cmd == "keygen") return cmd_keygen(rest);
  if (cmd == "identity") return cmd_identity(rest);
  std::fprintf(stderr, "error: unrecognized subcommand '%s'\n\n", cmd.c_str());
  return usage(stderr, 2);
}

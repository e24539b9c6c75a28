{
  "variables": { "libbpf_static%": "" },
  "targets": [
    {
      "target_name": "pytrace",
      "sources": [
        "native/addon.cc",
        "native/trace.cc",
        "native/layout.cc",
        "native/discovery/elf_notes.cc",
        "native/attach/bpf_session.cc",
        "native/attach/uprobe_multi.cc",
        "native/attach/sampling.cc",
        "native/stream/poll_thread.cc",
        "native/stream/ring_source.cc",
        "native/stream/perf_source.cc",
        "native/stream/js_batches.cc",
        "native/stream/time_order.cc",
        "native/process/process_events.cc",
        "native/process/process_follower.cc",
        "native/process/process_links.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(SHARED_INTERMEDIATE_DIR)/bpf",
        "native/bpf"
      ],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "conditions": [
        # A source build links the system libbpf; the prebuilt addon
        # (scripts/prebuild.sh) a static one, so that at run time it needs
        # only glibc, libelf and zlib.
        ["libbpf_static==''", {
          "cflags_cc": ["<!@(pkg-config --cflags libbpf libelf)"],
          "libraries": ["<!@(pkg-config --libs libbpf libelf)"]
        }, {
          "include_dirs": ["<(libbpf_static)/include"],
          "libraries": ["<(libbpf_static)/libbpf.a", "-lelf", "-lz"],
          "ldflags": ["-static-libstdc++", "-static-libgcc"]
        }]
      ],
      "actions": [
        {
          "action_name": "bpf_skeleton",
          "inputs": ["native/bpf/usdt_event.bpf.c", "native/bpf/usdt_event.h", "native/bpf/usdt_args.bpf.h", "native/bpf/audit_args.bpf.h", "native/bpf/within.bpf.h", "native/bpf/maps.bpf.h", "native/bpf/strings.bpf.h", "native/bpf/call_counts.bpf.h", "native/bpf/namespace_ids.bpf.h", "native/bpf/process_events.bpf.h", "native/bpf/process_events.h", "native/bpf/python_layout.h", "native/bpf/stack_sampler.bpf.h", "native/bpf/frame_walk.bpf.h", "native/bpf/thread_dump.bpf.h", "scripts/build-bpf.sh"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/bpf/usdt_event.skel.h"],
          "action": ["bash", "scripts/build-bpf.sh", "native/bpf/usdt_event.bpf.c", "<(SHARED_INTERMEDIATE_DIR)/bpf"]
        }
      ]
    }
  ],
  "conditions": [
    # The benchmark's addon, only where the benchmark is (a checkout, not the package).
    # node-gyp-build loads the first addon of build/Release by name: pytrace.node
    # sorts before pytrace_bench.node (test/unit/native-load.test.ts).
    ["<!(node -p \"require('fs').existsSync('bench/native') ? 1 : 0\")==1", {
      "targets": [
        {
          "target_name": "pytrace_bench",
          "sources": ["bench/native/addon.cc", "bench/native/synthetic_source.cc", "native/stream/js_batches.cc"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/bpf"],
          "cflags_cc": ["-std=c++17", "-fexceptions"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags!": ["-fno-exceptions"],
          "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
        }
      ]
    }]
  ]
}

{
  "targets": [
    {
      "target_name": "tsniff_pcap",
      "sources": ["native/tsniff_pcap.c", "native/tsniff_craft.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"]
    }
  ]
}

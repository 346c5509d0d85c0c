// glassvm-node's --post-js (cli/CMakeLists.txt): Emscripten 3.1.6's readv/writev read each
// iovec's pointer and length as signed 32-bit numbers, so a buffer above 2 GB of wasm memory
// (any buffer allocated after 2G of guest RAM: a kernel file read, a disk sector, console
// output) fails with EFAULT-like errors. The same loops with unsigned numbers.
(function() {
  function iovecs(iov, iovcnt, each) {
    var ret = 0;
    for (var i = 0; i < iovcnt; i++) {
      var ptr = HEAPU32[((iov >>> 0) >>> 2) + i * 2];
      var len = HEAPU32[((iov >>> 0) >>> 2) + i * 2 + 1];
      var curr = each(ptr, len);
      if (curr < 0) return -1;
      ret += curr;
      if (curr < len) break;
    }
    return ret;
  }
  SYSCALLS.doReadv = function(stream, iov, iovcnt, offset) {
    return iovecs(iov, iovcnt, function(ptr, len) {
      var curr = FS.read(stream, HEAP8, ptr, len, offset);
      if (offset !== undefined && curr > 0) offset += curr;
      return curr;
    });
  };
  SYSCALLS.doWritev = function(stream, iov, iovcnt, offset) {
    return iovecs(iov, iovcnt, function(ptr, len) {
      var curr = FS.write(stream, HEAP8, ptr, len, offset);
      if (offset !== undefined && curr > 0) offset += curr;
      return curr;
    });
  };
})();

#pragma once
// How Switchyard builds Asio, in one place. Included first by every public
// header, so an embedder that builds differently gets a compile error here
// instead of a silent mismatch.
//
// BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE = 8: Asio keeps this many freed
// coroutine frames per thread for reuse (default 2). A relayed chunk goes
// through ~5 nested awaitables, so with 2 most frames were malloc'd and freed
// per chunk; 8 measured best under callgrind (2: 339,900, 8: 321,973, 16:
// 323,209 instructions per 19-chunk stream). It changes the layout of Asio's
// per-thread data, so every translation unit of a program that uses Asio with
// this library must see the same value: CMake passes it to whoever links
// switchyard::core (a PUBLIC definition); without CMake, define it yourself
// before including Asio.
#if !defined(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE) || BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE != 8
#error "Build with -DBOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=8 (link switchyard::core with CMake, or define it before any Boost include): see include/switchyard/asio_config.hpp"
#endif

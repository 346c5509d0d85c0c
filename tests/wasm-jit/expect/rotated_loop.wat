;; rotated_loop
;; block 0:
;;   0000000080000000  li a0,0
;;   0000000080000004  j 0x80000014
;; block 3:
;;   0000000080000014  addi a0,a0,1
;;   0000000080000018  blt a0,a2,0x80000008
;; block 4:
;;   000000008000001c  ret
;; block 1:
;;   0000000080000008  andi t0,a0,1
;;   000000008000000c  beqz t0,0x80000014
;; block 2:
;;   0000000080000010  add a1,a1,a0
(module
  (type (;0;) (func (param i32)))
  (import "e" "m" (memory (;0;) 0))
  (export "run" (func $run))
  (func $run (type 0) (param i32)
    (local i64 i64 i64 i64 i32 i32 i32 i64 i64 i64 i64 i64)
    block $B0
      block $B1
        local.get 0
        i64.load offset=264
        local.tee 4
        i64.const -4096
        i64.and
        local.set 1
        local.get 4
        i32.wrap_i64
        i32.const 4095
        i32.and
        local.set 5
        local.get 0
        i64.load offset=272
        local.set 2
        local.get 0
        i32.load offset=280
        local.set 7
        local.get 0
        i64.load offset=8
        local.set 8
        local.get 0
        i64.load offset=40
        local.set 9
        local.get 0
        i64.load offset=80
        local.set 10
        local.get 0
        i64.load offset=88
        local.set 11
        local.get 0
        i64.load offset=96
        local.set 12
        loop $B2
          block $B3
            block $B4
              block $B5
                local.get 5
                i32.const 1
                i32.shr_u
                br_table $B4 $B5 $B5 $B5 $B3 $B5 $B5 $B5 $B3 $B5 $B3 $B5 $B5 $B5 $B3 $B5
              end
              local.get 0
              local.get 1
              local.get 5
              i64.extend_i32_u
              i64.add
              i64.store offset=264
              local.get 0
              local.get 2
              i64.store offset=272
              br $B1
            end
            local.get 2
            i64.const 2
            i64.sub
            local.tee 2
            i64.const 0
            i64.lt_s
            if $B6
              local.get 0
              local.get 1
              i64.store offset=264
              local.get 0
              local.get 2
              i64.const 2
              i64.add
              i64.store offset=272
              br $B1
            end
            i64.const 0
            local.set 10
            i32.const 20
            local.set 5
            br $B3
          end
          loop $B7
            block $B8
              block $B9
                block $B10
                  local.get 5
                  i32.const 20
                  i32.ne
                  if $B11
                    block $B12
                      local.get 5
                      i32.const 1
                      i32.shr_u
                      i32.const 4
                      i32.sub
                      br_table $B9 $B12 $B12 $B12 $B8 $B12 $B11 $B12 $B12 $B12 $B10 $B12
                    end
                    br $B2
                  end
                  local.get 2
                  i64.const 2
                  i64.sub
                  local.tee 2
                  i64.const 0
                  i64.lt_s
                  if $B13
                    local.get 0
                    local.get 1
                    i64.const 20
                    i64.add
                    i64.store offset=264
                    local.get 0
                    local.get 2
                    i64.const 2
                    i64.add
                    i64.store offset=272
                    br $B1
                  end
                  local.get 10
                  i64.const 1
                  i64.add
                  local.set 10
                  local.get 10
                  local.get 12
                  i64.lt_s
                  if $B14
                    br $B9
                  end
                  br $B10
                end
                local.get 2
                i64.const 1
                i64.sub
                local.tee 2
                i64.const 0
                i64.lt_s
                if $B15
                  local.get 0
                  local.get 1
                  i64.const 28
                  i64.add
                  i64.store offset=264
                  local.get 0
                  local.get 2
                  i64.const 1
                  i64.add
                  i64.store offset=272
                  br $B1
                end
                local.get 8
                i64.const 0
                i64.add
                i64.const -2
                i64.and
                local.set 3
                local.get 3
                local.get 1
                i64.sub
                local.tee 4
                i64.const 4096
                i64.lt_u
                if $B16
                  local.get 4
                  i32.wrap_i64
                  local.set 5
                  br $B7
                end
                local.get 0
                local.get 3
                i64.store offset=264
                local.get 0
                local.get 2
                i64.store offset=272
                br $B1
              end
              local.get 2
              i64.const 2
              i64.sub
              local.tee 2
              i64.const 1
              i64.lt_s
              if $B17
                local.get 0
                local.get 1
                i64.const 8
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.const 2
                i64.add
                i64.store offset=272
                br $B1
              end
              local.get 10
              i64.const 1
              i64.and
              local.set 9
              local.get 9
              i64.const 0
              i64.eq
              local.set 6
              local.get 11
              local.set 4
              local.get 11
              local.get 10
              i64.add
              local.set 11
              local.get 4
              local.get 11
              local.get 6
              select
              local.set 11
              local.get 2
              local.get 6
              i64.extend_i32_u
              i64.add
              i64.const 1
              i64.sub
              local.set 2
              i32.const 20
              local.set 5
              br $B7
            end
            local.get 2
            i64.const 1
            i64.sub
            local.tee 2
            i64.const 0
            i64.lt_s
            if $B18
              local.get 0
              local.get 1
              i64.const 16
              i64.add
              i64.store offset=264
              local.get 0
              local.get 2
              i64.const 1
              i64.add
              i64.store offset=272
              br $B1
            end
            local.get 11
            local.get 10
            i64.add
            local.set 11
            i32.const 20
            local.set 5
            br $B7
          end
        end
        unreachable
      end
      local.get 0
      local.get 8
      i64.store offset=8
      local.get 0
      local.get 9
      i64.store offset=40
      local.get 0
      local.get 10
      i64.store offset=80
      local.get 0
      local.get 11
      i64.store offset=88
      local.get 0
      local.get 12
      i64.store offset=96
    end))
